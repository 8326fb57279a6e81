import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVTestSupport
import Testing

/// A router holds a packet while it resolves the next hop, and lets it go when the answer
/// comes. That packet is forwarded traffic: it must still pass every stage after the router
/// in its direction, as a Linux router filters and NATs before it resolves the neighbour.
/// Through chains/edge-gateway.yaml's firewall -> router -> NAT: an inbound telnet SYN to an
/// inside host nobody has resolved yet must meet the firewall's block-telnet rule (it went
/// through, once the host answered ARP); a DNS query to an unresolved next hop must leave
/// translated by the NAT (it leaked with its private source).
@Suite struct HeldPacketTests {
    static let lanMAC = MACAddress(0x02, 0, 0, 0, 0x01, 0x01)
    static let wanMAC = MACAddress(0x02, 0, 0, 0, 0x02, 0x01)

    static func frame(_ build: (UnsafeMutableRawPointer) -> Int) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 128)
        let length = bytes.withUnsafeMutableBytes { build($0.baseAddress!) }
        return MemoryPort.Frame(bytes: Array(bytes[0..<length]), timestamp: 1_000_000_000)
    }

    /// `host` at `mac` answers the router's ARP request (`routerMAC`, `routerAddress`).
    static func arpReply(from host: IPv4Address, at mac: MACAddress, to routerMAC: MACAddress, _ routerAddress: IPv4Address) -> MemoryPort.Frame {
        frame { frame in
            EthernetHeader(frame).destination = routerMAC
            EthernetHeader(frame).source = mac
            EthernetHeader(frame).etherType = EtherType.arp
            frame.storeBytes(of: UInt64(0x0001_0800_0604_0002).bigEndian, toByteOffset: 14, as: UInt64.self)
            let arp = ARPHeader(frame + 14)
            arp.senderMAC = mac
            arp.senderIP = host
            arp.targetMAC = routerMAC
            arp.targetIP = routerAddress
            return 42
        }
    }

    /// Runs `steps` (the frames arriving on one port, in order) through edge-gateway's stages.
    static func run(_ steps: [(port: UInt16, frames: [MemoryPort.Frame])]) throws -> (inside: MemoryPort, outside: MemoryPort, chain: Chain) {
        let loaded = try LoadedChain.load(path: Fixtures.root.appendingPathComponent("chains/edge-gateway.yaml").path)
        let pool = PacketPool(slotCount: 256)
        let chain = ChainAssembly.makeChain(loaded, pool: pool)
        let inside = MemoryPort(portNumber: 0)
        let outside = MemoryPort(portNumber: 1)
        for step in steps {
            let source = MemoryPort(frames: step.frames, portNumber: step.port)
            try Pipeline(sources: [source], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool)).runUntilExhausted()
        }
        return (inside, outside, chain)
    }

    static func ipFrames(_ port: MemoryPort) -> [MemoryPort.Frame] {
        port.transmitted.filter { $0.bytes[12] == 0x08 && $0.bytes[13] == 0x00 }
    }

    @Test func aBlockedSYNHeldForARPStillMeetsTheFirewall() throws {
        let host = IPv4Address(10, 0, 1, 50)
        let hostMAC = MACAddress(0x02, 0, 0, 0, 0x01, 0x32)
        let telnet = TestFrame.ipv4(
            from: IPv4Address(203, 0, 113, 5), to: host, ipProtocol: IPProtocol.tcp, sourcePort: 5555,
            destinationPort: 23, sourceMAC: MACAddress(0x02, 0, 0, 0, 0x02, 0xFE), destinationMAC: Self.wanMAC)
        let (inside, _, chain) = try Self.run([
            (1, [telnet]), (0, [Self.arpReply(from: host, at: hostMAC, to: Self.lanMAC, IPv4Address(10, 0, 1, 1))]),
        ])
        #expect(inside.transmitted.contains { $0.bytes[12] == 0x08 && $0.bytes[13] == 0x06 }, "the router asked for the host")
        #expect(Self.ipFrames(inside).isEmpty, "the telnet SYN never reached the inside")
        let firewall = try #require(chain.stages.firstIndex { $0.name == "fw" })
        #expect(chain.counters[firewall].drops[.firewallRule] == 1, "block-telnet dropped it once it was let go")
    }

    @Test func aQueryHeldForARPStillLeavesTranslated() throws {
        let gateway = IPv4Address(198, 51, 100, 1)
        let gatewayMAC = MACAddress(0x02, 0, 0, 0, 0x02, 0xFE)
        let query = TestFrame.ipv4(
            from: IPv4Address(10, 0, 1, 10), to: IPv4Address(203, 0, 113, 53), ipProtocol: IPProtocol.udp,
            destinationPort: 53, destinationMAC: Self.lanMAC)
        let (_, outside, _) = try Self.run([
            (0, [query]),
            (
                1,
                [
                    Self.arpReply(
                        from: gateway, at: gatewayMAC, to: Self.wanMAC,
                        IPv4Address(198, 51, 100, 2))
                ]
            ),
        ])
        let left = try #require(Self.ipFrames(outside).first, "the query left once the next hop answered")
        #expect(Array(left.bytes[26..<30]) == [198, 51, 100, 2], "its source is the NAT's address, not 10.0.1.10")
        #expect(Array(left.bytes[0..<6]) == [0x02, 0, 0, 0, 0x02, 0xFE], "to the next hop's MAC")
        #expect(left.bytes[22] == 63, "one router hop")
    }
}
