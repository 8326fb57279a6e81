import Foundation
import NFVIO
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

/// A real TAP in a namespace the test creates; the kernel on the other side is the independent
/// party: it answers our ICMP echo request with its own reply.
@Suite(.serialized) struct TapPortTests {

    static let kernelMAC = MACAddress(0x02, 0, 0, 0, 0xAA, 0x01)
    static let ourMAC = MACAddress(0x02, 0, 0, 0, 0xAA, 0x02)
    static let kernelAddress = IPv4Address(10, 213, 0, 1)
    static let ourAddress = IPv4Address(10, 213, 0, 2)

    /// An ICMP echo request from us to the kernel side (checksums from the RFC 1071 sum).
    static func echoRequest(identifier: UInt16, sequence: UInt16, payload: [UInt8]) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 14 + 20 + 8 + payload.count)
        frame.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress!
            let ethernet = EthernetHeader(base)
            ethernet.destination = kernelMAC
            ethernet.source = ourMAC
            ethernet.etherType = EtherType.ipv4
            base.storeByte(0x45, at: 14)
            let ip = IPv4Header(base + 14)
            ip.totalLength = UInt16(20 + 8 + payload.count)
            ip.ttl = 64
            base.storeByte(IPProtocol.icmp, at: 23)
            ip.source = ourAddress
            ip.destination = kernelAddress
            ip.updateChecksum()
            let icmp = base + 34
            icmp.storeByte(8, at: 0)
            icmp.storeNetworkUInt16(identifier, at: 4)
            icmp.storeNetworkUInt16(sequence, at: 6)
            for (offset, byte) in payload.enumerated() { icmp.storeByte(byte, at: 8 + offset) }
            icmp.storeNetworkUInt16(InternetChecksum.checksum(UnsafeRawPointer(icmp), byteCount: 8 + payload.count), at: 2)
        }
        return frame
    }

    /// A TAP with its kernel side in a fresh namespace at 10.213.0.1/24, our side a permanent
    /// neighbour (so the kernel answers without asking ARP). Removed again by `close()`.
    final class Topology {
        let namespace: String
        let port: TapPort
        init(portMTU: Int = 1500) throws {
            let suffix = String(getpid() % 100_000)
            namespace = "nfvt-tap-\(suffix)"
            port = try TapPort(name: "nfvt\(suffix)", portNumber: 0, mtu: portMTU)
            do {
                try HostCommand.check(["ip", "netns", "add", namespace])
                try HostCommand.check(["ip", "link", "set", port.name, "netns", namespace])
                let inside = ["ip", "-n", namespace]
                try HostCommand.check(inside + ["link", "set", port.name, "address", TapPortTests.kernelMAC.description])
                try HostCommand.check(inside + ["addr", "add", "\(TapPortTests.kernelAddress)/24", "dev", port.name])
                try HostCommand.check(inside + ["link", "set", port.name, "up"])
                try HostCommand.check(
                    inside + [
                        "neigh", "add", TapPortTests.ourAddress.description, "lladdr",
                        TapPortTests.ourMAC.description, "dev", port.name, "nud", "permanent",
                    ])
            } catch {
                close()
                throw error
            }
        }
        func close() { _ = try? HostCommand.check(["ip", "netns", "del", namespace]) }
    }

    /// Frames go both ways through a real TAP: our echo request reaches the kernel, the
    /// kernel's echo reply comes back through `receive`, with the fields the RFC says.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func kernelAnswersAnEchoRequestThroughTheTap() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let topology = try Topology()
        defer { topology.close() }
        let pool = PacketPool(slotCount: 64)
        let batch = PacketBatch(pool: pool)
        let payload = Array("nfv tap test".utf8)
        let request = Self.echoRequest(identifier: 0x4E46, sequence: 7, payload: payload)
        _ = request.withUnsafeBytes { batch.appendCopy(of: $0, inPort: 0, timestamp: 0) }
        try topology.port.transmit(batch)
        #expect(topology.port.counters.transmittedPackets == 1)

        // The kernel may also send IPv6 router solicitations and the like: look for the reply.
        var reply: [UInt8]?
        let deadline = Date().addingTimeInterval(3)
        while reply == nil, Date() < deadline {
            guard topology.port.waitReadable(timeoutMilliseconds: 200) else { continue }
            _ = try topology.port.receive(into: batch, limit: 32)
            for index in 0..<batch.count {
                let bytes = Array(batch.bytes(index))
                if bytes.count >= 42, bytes[12] == 0x08, bytes[13] == 0x00, bytes[23] == IPProtocol.icmp, bytes[34] == 0 {
                    reply = bytes
                }
            }
            batch.releaseAll()
        }
        let frame = try #require(reply, "no echo reply from the kernel within 3 s")
        frame.withUnsafeBytes { buffer in
            let base = UnsafeMutableRawPointer(mutating: buffer.baseAddress!)
            #expect(EthernetHeader(base).destination == Self.ourMAC)
            #expect(EthernetHeader(base).source == Self.kernelMAC)
            let ip = IPv4Header(base + 14)
            #expect(ip.source == Self.kernelAddress && ip.destination == Self.ourAddress)
            #expect(ip.isChecksumValid)
            let icmp = base + 34
            #expect(icmp.loadNetworkUInt16(at: 4) == 0x4E46 && icmp.loadNetworkUInt16(at: 6) == 7)
            #expect(Array(frame[42...]) == payload)
            #expect(InternetChecksum.sum(UnsafeRawPointer(icmp), byteCount: 8 + payload.count) == 0xFFFF)
        }
        #expect(topology.port.counters.receivedPackets >= 1)
    }

    /// A frame longer than MTU + headers is counted and never written; a TAP whose device is
    /// deleted reports down, counts the event and drops what is sent to it, without failing.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func oversizeFramesAndAVanishedDeviceAreCounted() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let topology = try Topology(portMTU: 576)
        defer { topology.close() }
        let pool = PacketPool(slotCount: 64)
        let batch = PacketBatch(pool: pool)
        let big = Self.echoRequest(identifier: 1, sequence: 1, payload: [UInt8](repeating: 0x55, count: 600))
        _ = big.withUnsafeBytes { batch.appendCopy(of: $0, inPort: 0, timestamp: 0) }
        try topology.port.transmit(batch)
        #expect(topology.port.counters.drops[.frameAboveMTU] == 1)
        #expect(topology.port.counters.transmittedPackets == 0)

        try HostCommand.check(["ip", "-n", topology.namespace, "link", "del", topology.port.name])
        let small = Self.echoRequest(identifier: 1, sequence: 2, payload: [1, 2, 3])
        _ = small.withUnsafeBytes { batch.appendCopy(of: $0, inPort: 0, timestamp: 0) }
        try topology.port.transmit(batch)
        #expect(topology.port.isDown)
        #expect(topology.port.downEvents == 1)
        #expect(topology.port.counters.drops[.portDown] == 1)
        #expect(try topology.port.receive(into: batch, limit: 32) == 0)
        #expect(pool.availableCount == pool.slotCount, "every buffer went back to the pool")
    }
}
