import Foundation
import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVTestSupport
import Testing

/// Service paths on one chain: web traffic (UDP to port 80) takes the TTL stage, everything
/// else takes pass-through; replies (from the second port) take the same stage as their path,
/// in reverse. The TTL of what comes out says which stage a packet passed.
@Suite struct ServicePathTests {
    static func udp(
        sourcePort: UInt16, destinationPort: UInt16, ttl: UInt8, source: UInt32 = 0x0A00_0001,
        destination: UInt32 = 0x0A00_0002
    ) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 46)
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            frame.storeNetworkUInt16(0x0800, at: 12)
            frame.storeByte(0x45, at: 14)
            frame.storeNetworkUInt16(32, at: 16)
            frame.storeByte(ttl, at: 22)
            frame.storeByte(17, at: 23)
            frame.storeNetworkUInt32(source, at: 26)
            frame.storeNetworkUInt32(destination, at: 30)
            frame.storeNetworkUInt16(InternetChecksum.checksum(frame + 14, byteCount: 20), at: 24)
            frame.storeNetworkUInt16(sourcePort, at: 34)
            frame.storeNetworkUInt16(destinationPort, at: 36)
            frame.storeNetworkUInt16(12, at: 38)
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: 1)
    }

    @Test func eachClassTakesItsStagesBothWays() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("paths.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: paths-test }
        spec:
          ports:
            - { name: clients, type: tap, ifname: pt-c0 }
            - { name: servers, type: tap, ifname: pt-s0 }
          stages:
            - { name: ttl,  vnf: decrement-ttl }
            - { name: pass, vnf: pass-through }
          paths:
            - { name: web,   from: clients, to: servers, match: "udp,tp_dst=80", through: [ttl], priority: 100 }
            - { name: other, from: clients, to: servers, through: [pass], priority: 10 }
        """.write(to: file, atomically: true, encoding: .utf8)
        let loaded = try LoadedChain.load(path: file.path)
        #expect(loaded.descriptor.paths.map(\.name) == ["web", "other"])
        let pool = PacketPool(slotCount: 256)
        let chain = ChainAssembly.makeChain(loaded, pool: pool)
        #expect(chain.stages.map(\.name) == ["parse", "paths", "ttl", "pass", "paths-egress"])
        let clients = MemoryPort(
            frames: [
                Self.udp(sourcePort: 40000, destinationPort: 80, ttl: 64),
                Self.udp(sourcePort: 40001, destinationPort: 53, ttl: 64),
            ], portNumber: 0)
        let servers = MemoryPort(
            frames: [
                Self.udp(sourcePort: 80, destinationPort: 40000, ttl: 64),
                Self.udp(sourcePort: 53, destinationPort: 40001, ttl: 64),
            ], portNumber: 1)
        let clientsOut = MemoryPort(portNumber: 0)
        let serversOut = MemoryPort(portNumber: 1)
        try Pipeline(sources: [clients, servers], chain: chain, sinks: [clientsOut, serversOut], batch: PacketBatch(pool: pool))
            .runUntilExhausted()
        func ttlAndPort(_ frame: MemoryPort.Frame) -> (UInt8, UInt16) { (frame.bytes[22], UInt16(frame.bytes[36]) << 8 | UInt16(frame.bytes[37])) }
        let toServers = serversOut.transmitted.map(ttlAndPort)
        let toClients = clientsOut.transmitted.map(ttlAndPort)
        #expect(toServers.count == 2 && toClients.count == 2)
        #expect(toServers.contains { $0 == (63, 80) }, "web went through the TTL stage: \(toServers)")
        #expect(toServers.contains { $0 == (64, 53) }, "other traffic went through pass-through")
        #expect(toClients.contains { $0 == (63, 40000) }, "the web reply took the web path back: \(toClients)")
        #expect(toClients.contains { $0 == (64, 40001) }, "the other reply took the other path back")
        #expect(pool.availableCount == 256)
    }

    /// A path through a NAT: the reply's addresses no longer match the path's reversed match
    /// (its destination is the NAT's address, not the client's), yet it takes its path back,
    /// because the path's last stage recorded the translated connection.
    @Test func repliesFindTheirPathThroughANAT() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("nat-paths.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: nat-paths }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: np-i0 }
            - { name: outside, type: tap, ifname: np-o0 }
          stages:
            - { name: ttl, vnf: decrement-ttl }
            - { name: nat, vnf: nat, config: \(Fixtures.root.appendingPathComponent("vnf-configs/edge-nat.yaml").path) }
          paths:
            - { name: client, from: inside, to: outside, match: "udp,nw_src=10.0.1.10", through: [ttl, nat], priority: 100 }
            - { name: other,  from: inside, to: outside, through: [nat], priority: 10 }
        """.write(to: file, atomically: true, encoding: .utf8)
        let loaded = try LoadedChain.load(path: file.path)
        let pool = PacketPool(slotCount: 256)
        let chain = ChainAssembly.makeChain(loaded, pool: pool)
        let client: UInt32 = 0x0A00_010A  // 10.0.1.10
        let server: UInt32 = 0xCB00_7105  // 203.0.113.5
        let insideIn = MemoryPort(
            frames: [Self.udp(sourcePort: 40000, destinationPort: 5000, ttl: 64, source: client, destination: server)],
            portNumber: 0)
        let insideOut = MemoryPort(portNumber: 0)
        let outsideOut = MemoryPort(portNumber: 1)
        try Pipeline(sources: [insideIn], chain: chain, sinks: [insideOut, outsideOut], batch: PacketBatch(pool: pool)).runUntilExhausted()
        let sent = try #require(outsideOut.transmitted.first)
        #expect(sent.bytes[22] == 63, "the client's path has the TTL stage")
        let translated = sent.bytes.withUnsafeBytes {
            (
                UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: 26, as: UInt32.self)),
                UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 34, as: UInt16.self))
            )
        }
        #expect(translated.0 == 0xC633_6402, "SNAT to 198.51.100.2")
        // The server answers the NAT's address and port.
        let reply = Self.udp(sourcePort: 5000, destinationPort: translated.1, ttl: 64, source: server, destination: translated.0)
        let outsideIn = MemoryPort(frames: [reply], portNumber: 1)
        try Pipeline(sources: [outsideIn], chain: chain, sinks: [insideOut, outsideOut], batch: PacketBatch(pool: pool)).runUntilExhausted()
        let back = try #require(insideOut.transmitted.first)
        let backDestination = back.bytes.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: 30, as: UInt32.self)) }
        #expect(backDestination == client, "the NAT translated the reply back")
        #expect(back.bytes[22] == 63, "the reply came back through the client's path (TTL stage), not the other path")
    }

    @Test func pathMistakesAreReportedWhereTheyAre() throws {
        let base = """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: p }
            spec:
              ports:
                - { name: a, type: tap, ifname: pt-a0 }
                - { name: b, type: tap, ifname: pt-b0 }
              stages:
                - { name: one, vnf: pass-through }
                - { name: two, vnf: pass-through }
              paths:
                - { name: x, from: a, to: b, through: [two, one] }
                - { name: y, from: b, to: c, match: "tcp,tp_dts=80", through: [tow] }

            """
        var messages: [String] = []
        do { _ = try LoadedChain.descriptorLoader.parse(base, file: "p.yaml") } catch { messages = error.errors.map(\.description) }
        #expect(
            messages == [
                #"p.yaml:12:49: error: spec.paths[0].through[1]: stage "one" comes before "two" in spec.stages; list a path's stages in the chain's order (one pass over the stages serves every path)"#,
                #"p.yaml:13:31: error: spec.paths[1].to: no port "c"; did you mean "a"?"#,
                #"p.yaml:13:24: error: spec.paths[1].from: a path enters on the chain's first port (a), the direction its stages run forward; list "b" first among the ports, or use "to:" with symmetric"#,
                #"p.yaml:13:68: error: spec.paths[1].through[0]: no stage "tow"; did you mean "two"?"#,
                #"p.yaml:13:41: error: spec.paths[1].match: unknown field tp_dts; did you mean tp_dst?"#,
            ])
    }
}
