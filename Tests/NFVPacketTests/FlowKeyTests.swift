import NFVPacket
import NFVTestSupport
import Testing

@Suite struct FlowKeyTests {
    static func parsed(_ bytes: [UInt8]) -> (GuardedBuffer, PacketMetadata) {
        let buffer = GuardedBuffer(bytes)
        var metadata = PacketMetadata(id: 0, dataOffset: 0, length: UInt16(bytes.count), inPort: 0, timestamp: 0)
        _ = PacketParser.parse(buffer.start, metadata: &metadata)
        return (buffer, metadata)
    }

    /// headers.json marks reply packets built by scapy with `reverse_of`: both directions must
    /// hash alike, and the keys must be each other's reverse.
    @Test func bothDirectionsOfAFlowHashAlike() throws {
        let cases = try HeaderCase.all()
        var pairs = 0
        for testCase in cases {
            guard let original = testCase.int("reverse_of") else { continue }
            let (forwardBuffer, forwardMetadata) = Self.parsed(cases[original].bytes)
            let (replyBuffer, replyMetadata) = Self.parsed(testCase.bytes)
            let forward = try #require(FlowKey(frame: forwardBuffer.start, metadata: forwardMetadata))
            let reply = try #require(FlowKey(frame: replyBuffer.start, metadata: replyMetadata))
            #expect(reply == forward.reversed)
            #expect(reply.canonical == forward.canonical)
            #expect(reply.symmetricHash(with: .process) == forward.symmetricHash(with: .process))
            pairs += 1
        }
        #expect(pairs == 2)
    }

    /// The IPv4 fast path of the parse stage gives exactly FlowKey.symmetricHash(with:).
    @Test func fastPathEqualsKeyHash() throws {
        for testCase in try HeaderCase.all() where testCase.string("drop") == "none" {
            let (buffer, metadata) = Self.parsed(testCase.bytes)
            let fast = FlowHash.symmetric(frame: buffer.start, metadata: metadata, hasher: .process)
            let key = FlowKey(frame: buffer.start, metadata: metadata)
            #expect(fast == (key?.symmetricHash(with: .process) ?? 0), "\(testCase.name)")
        }
    }

    @Test func distinctFlowsSpreadOverBuckets() {
        var buckets = [Int](repeating: 0, count: 64)
        var seen = Set<UInt32>()
        for index in 0..<64_000 {
            let key = FlowKey(
                source: IPv6Address(ipv4Mapped: IPv4Address(rawValue: 0x0A00_0000 | UInt32(index % 250))),
                destination: IPv6Address(ipv4Mapped: IPv4Address(192, 0, 2, 1)),
                sourcePort: UInt16(1024 + index / 250), destinationPort: 80, ipProtocol: IPProtocol.tcp)
            let hash = key.symmetricHash(with: .process)
            seen.insert(hash)
            buckets[Int(hash % 64)] += 1
        }
        #expect(seen.count > 63_900)  // near-collision-free on 32 bits
        #expect(buckets.min()! > 800 && buckets.max()! < 1_200)  // 1000 expected per bucket
    }

    @Test func vlanAndProtocolAreTheFlowsIdentity() {
        let a = IPv6Address(ipv4Mapped: IPv4Address(10, 0, 0, 1))
        let b = IPv6Address(ipv4Mapped: IPv4Address(10, 0, 0, 2))
        let tcp = FlowKey(source: a, destination: b, sourcePort: 1, destinationPort: 2, ipProtocol: IPProtocol.tcp, vlanID: 10)
        var otherVLAN = tcp
        otherVLAN.vlanID = 11
        var udp = tcp
        udp.ipProtocol = IPProtocol.udp
        #expect(tcp.symmetricHash(with: .process) != otherVLAN.symmetricHash(with: .process))
        #expect(tcp.symmetricHash(with: .process) != udp.symmetricHash(with: .process))
        // Same addresses with swapped ports is another flow.
        let swappedPorts = FlowKey(source: a, destination: b, sourcePort: 2, destinationPort: 1, ipProtocol: IPProtocol.tcp, vlanID: 10)
        #expect(swappedPorts.canonical != tcp.canonical)
    }
}
