import NFVDescriptors
import NFVIO
import NFVNAT
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

/// Forwards by protocol, as nftables says `ip daddr 198.51.100.3 ip protocol icmp dnat to
/// 10.0.1.53` or `udp dnat to ...`: an ICMP-echo-only forward and a UDP-only one on the same
/// public address; TCP to that address is not forwarded.
@Suite struct NATProtocolForwardTests {
    static let text = """
        apiVersion: nfv/v1
        kind: NatConfig
        metadata: { name: forwards }
        spec:
          inside: inside
          outside: outside
          pool: [198.51.100.2]
          snat: [{ name: lan, match: { srcPrefix: 10.0.1.0/24 }, ports: 1024-65535 }]
          dnat:
            - { name: ping-in, proto: icmp, external: 198.51.100.3, internal: 10.0.1.53 }
            - { name: dns-in, proto: udp, external: 198.51.100.3, internal: 10.0.1.53 }
        """

    static func stage() throws -> NATStage {
        let loaded = try NATConfigLoader().parse(text, file: "nat.yaml")
        return NATStage(name: "nat", configuration: loaded.configuration, portIndex: ["inside": 0, "outside": 1])
    }

    /// An IPv4 packet from `source` to `destination`: ICMP echo (type 8 or 0) with identifier
    /// 0x4242, or UDP / TCP to `port`.
    static func frame(
        _ source: IPv4Address, _ destination: IPv4Address, ipProtocol: UInt8, icmpType: UInt8 = 8,
        port: UInt16 = 0
    ) -> MemoryPort.Frame {
        TestFrame.ipv4(from: source, to: destination, ipProtocol: ipProtocol, destinationPort: port, icmpType: icmpType)
    }

    static func run(_ stage: NATStage, _ frames: [MemoryPort.Frame], from port: UInt16) throws -> (out: [MemoryPort.Frame], drops: DropCounters) {
        let pool = PacketPool(slotCount: 64)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let source = MemoryPort(frames: frames, portNumber: port)
        let inside = MemoryPort(portNumber: 0)
        let outside = MemoryPort(portNumber: 1)
        try Pipeline(sources: [source], chain: chain, sinks: [inside, outside], batch: PacketBatch(pool: pool)).runUntilExhausted()
        return ((port == 0 ? outside : inside).transmitted, chain.counters[1].drops)
    }

    static func address(_ frame: MemoryPort.Frame, at offset: Int) -> [UInt8] { Array(frame.bytes[offset..<offset + 4]) }

    static func checksumsVerify(_ frame: MemoryPort.Frame) -> Bool {
        frame.bytes.withUnsafeBytes { buffer in
            let base = UnsafeMutableRawPointer(mutating: buffer.baseAddress!)
            return IPv4Header(base + 14).isChecksumValid
                && (frame.bytes[23] != IPProtocol.icmp
                    || InternetChecksum.sum(UnsafeRawPointer(base + 34), byteCount: frame.bytes.count - 34) == 0xFFFF)
        }
    }

    @Test func anEchoOnlyForwardTakesPingsBothWaysAndKeepsTheIdentifier() throws {
        let stage = try Self.stage()
        let remote = IPv4Address(203, 0, 113, 9)
        let (inbound, _) = try Self.run(stage, [Self.frame(remote, IPv4Address(198, 51, 100, 3), ipProtocol: IPProtocol.icmp)], from: 1)
        let request = try #require(inbound.first)
        #expect(Self.address(request, at: 30) == [10, 0, 1, 53])
        #expect(request.bytes[38] == 0x42 && request.bytes[39] == 0x42, "the identifier is kept")
        #expect(Self.checksumsVerify(request))
        let (outbound, _) = try Self.run(
            stage, [Self.frame(IPv4Address(10, 0, 1, 53), remote, ipProtocol: IPProtocol.icmp, icmpType: 0)],
            from: 0)
        let reply = try #require(outbound.first)
        #expect(Self.address(reply, at: 26) == [198, 51, 100, 3], "the reply comes from the forward's address")
        #expect(Self.checksumsVerify(reply))
    }

    @Test func aUDPForwardTakesEveryUDPPortAndNoTCP() throws {
        let stage = try Self.stage()
        let remote = IPv4Address(203, 0, 113, 9)
        let public3 = IPv4Address(198, 51, 100, 3)
        let (udp, _) = try Self.run(
            stage,
            [
                Self.frame(remote, public3, ipProtocol: IPProtocol.udp, port: 5353),
                Self.frame(remote, public3, ipProtocol: IPProtocol.udp, port: 53),
            ], from: 1)
        #expect(udp.count == 2 && udp.allSatisfy { Self.address($0, at: 30) == [10, 0, 1, 53] && Self.checksumsVerify($0) })
        #expect(udp.map { UInt16($0.bytes[36]) << 8 | UInt16($0.bytes[37]) } == [5353, 53], "ports unchanged")
        let (tcp, drops) = try Self.run(stage, [Self.frame(remote, public3, ipProtocol: IPProtocol.tcp, port: 22)], from: 1)
        #expect(tcp.isEmpty && drops[.natNoMapping] == 1, "no TCP forward on that address")
    }

    @Test func mistakesAndTheRemovedOut2inOnly() {
        func errors(_ dnat: String) -> [String] {
            let text = Self.text.components(separatedBy: "  dnat:")[0] + "  dnat:\n    - " + dnat + "\n"
            do {
                _ = try NATConfigLoader().parse(text, file: "nat.yaml")
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors("{ name: a, proto: icmp, external: 198.51.100.3:7, internal: 10.0.1.53:7 }").contains { $0.contains("ICMP has no ports") })
        #expect(
            errors("{ name: a, proto: tcp, external: 198.51.100.3:80, internal: 10.0.1.53 }").contains {
                $0.contains("a port forward needs ports on both sides")
            })
        #expect(errors("{ name: a, external: 198.51.100.3, internal: 10.0.1.53, out2in-only: true }").contains { $0.contains("out2in-only") })
        #expect(errors("{ name: a, proto: udp, external: 198.51.100.3, internal: 10.0.1.53 }").isEmpty)
    }
}
