import NFVFlow
import NFVPacket
import NFVTestSupport
import Testing

/// The keyed hash and the flow tables built on it, with the keys real traffic has: many
/// connections between one pair of hosts (only ports differ), hosts that differ in one address
/// byte, flows that differ only in their VLAN. Below half their capacity the tables must hold
/// every key without one eviction or refusal.
@Suite struct HashedTableTests {
    static func ipv4(_ value: UInt32) -> IPv6Address { IPv6Address(ipv4Mapped: IPv4Address(rawValue: value)) }

    static func key(
        _ client: UInt32, _ clientPort: UInt16, _ server: UInt32 = 0xC000_0201, _ serverPort: UInt16 = 443,
        proto: UInt8 = IPProtocol.tcp, vlan: UInt16 = 0
    ) -> TrackingKey {
        TrackingKey(
            FlowKey(
                source: ipv4(client), destination: ipv4(server), sourcePort: clientPort, destinationPort: serverPort,
                ipProtocol: proto, vlanID: vlan))
    }

    /// Every input bit reaches every one of the low 16 output bits (the bits a table of up to
    /// 65,536 slots indexes by): flipping one input bit flips each low output bit in about half
    /// of 2,000 random keys.
    @Test func everyKeyBitReachesTheIndexBits() {
        var generator = SeededGenerator(seed: 11)
        let hasher = TableHash(seed: 0x1234_5678)
        func check(words: Int, _ hash: ([UInt64]) -> UInt64) {
            for bit in 0..<(64 * words) {
                var flips = [Int](repeating: 0, count: 16)
                let trials = 2_000
                for _ in 0..<trials {
                    var input = (0..<words).map { _ in UInt64.random(in: .min ... .max, using: &generator) }
                    let before = hash(input)
                    input[bit / 64] ^= 1 << UInt64(bit % 64)
                    let changed = before ^ hash(input)
                    for output in 0..<16 where changed >> UInt64(output) & 1 == 1 { flips[output] += 1 }
                }
                let worst = flips.map { abs(Double($0) / Double(trials) - 0.5) }.max()!
                #expect(worst < 0.1, "\(words)-word hash: input bit \(bit) flips an index bit with probability \(0.5 + worst) or \(0.5 - worst)")
            }
        }
        check(words: 1) { hasher.hash($0[0]) }
        check(words: 2) { hasher.hash($0[0], $0[1]) }
        check(words: 3) { hasher.hash($0[0], $0[1], $0[2]) }
        check(words: 5) { hasher.hash($0[0], $0[1], $0[2], $0[3], $0[4]) }
    }

    /// The five-word shortcut for IPv4 keys is the same function.
    @Test func precomputedZeroPairIsTheSameHash() {
        let hasher = TableHash(seed: 99)
        for value in [UInt64(0), 1, 0xFFFF_0A00_0001, .max] {
            #expect(
                hasher.hash(value, ~value, 0, 0, value &* 31) == hasher.hash(value, ~value, precomputedPair: hasher.secondPair(0, 0), value &* 31))
        }
    }

    /// Fills a tracker to half its capacity with `keys`; every key is inserted, found again from
    /// both directions, and nothing is evicted or refused.
    func fillHalf(_ keys: [TrackingKey], capacity: Int, _ what: Comment) {
        let tracker = ConnectionTracker(capacity: capacity)
        #expect(keys.count == capacity / 2)
        for key in keys {
            #expect(tracker.find(key, now: 0) < 0)
            #expect(tracker.insert(key, state: .tcpSynSent, now: 0) >= 0, what)
        }
        #expect(tracker.counters.refused == 0 && tracker.counters.evicted == 0, what)
        #expect(tracker.count == keys.count)
        for key in keys {
            var reply = key
            reply.sourceIsLow.toggle()
            #expect(tracker.find(reply, now: 0) >= 0, what)
        }
    }

    @Test func connectionsThatDifferOnlyInPortsFillHalfTheTable() {
        // One client, one server: 32,768 connections, the client's port varies (a browser's
        // pool, iperf3 -P, a NATed office behind one address).
        fillHalf((0..<32_768).map { Self.key(0x0A00_0001, UInt16(1024 + $0)) }, capacity: 65_536, "client ports")
        // The client has the higher address, so its port is the key's high port.
        fillHalf((0..<32_768).map { Self.key(0xCB00_7101, UInt16(1024 + $0)) }, capacity: 65_536, "client ports, client high")
        // Both ports vary.
        let bothPorts = (0..<32_768).map { (index: Int) -> TrackingKey in
            Self.key(0x0A00_0001, UInt16(1024 + index % 256), 0xC000_0201, UInt16(8000 + index / 256))
        }
        fillHalf(bothPorts, capacity: 65_536, "both ports")
    }

    @Test func connectionsThatDifferOnlyInOneAddressByteFillHalfTheTable() {
        for byte in 0..<4 {
            let keys = (0..<256).map { Self.key(0x0A00_0000 ^ UInt32($0) << UInt32(8 * byte), 40000) }
            fillHalf(keys, capacity: 512, "address byte \(byte)")
        }
        // IPv6: one byte of the interface identifier.
        let keys = (0..<256).map { index -> TrackingKey in
            let client = IPv6Address(high: 0x2001_0DB8_0000_0000, low: UInt64(index) << 16 | 1)
            let server = IPv6Address(high: 0x2001_0DB8_0000_0000, low: 0xFFFF)
            return TrackingKey(FlowKey(source: client, destination: server, sourcePort: 40000, destinationPort: 443, ipProtocol: IPProtocol.tcp))
        }
        fillHalf(keys, capacity: 512, "IPv6 interface identifier byte")
    }

    @Test func connectionsThatDifferOnlyInTheVLANFillHalfTheTable() {
        fillHalf((0..<2048).map { Self.key(0x0A00_0001, 40000, vlan: UInt16(1 + $0)) }, capacity: 4096, "VLAN")
    }

    /// A table below capacity never refuses: 100 % of capacity, one host pair, all ports.
    @Test func aTableBelowCapacityNeverRefusesHoweverTheKeysCluster() {
        let tracker = ConnectionTracker(capacity: 60_000)
        for port in 0..<60_000 {
            #expect(tracker.insert(Self.key(0x0A00_0001, UInt16(port)), state: .tcpEstablished, now: 0) >= 0)
        }
        #expect(tracker.count == 60_000 && tracker.counters.refused == 0 && tracker.counters.evicted == 0)
        // Full now: an established table refuses the next connection and counts it.
        #expect(tracker.insert(Self.key(0x0A00_0002, 1), state: .tcpSynSent, now: 0) == -1)
        #expect(tracker.counters.refused == 1)
    }

    /// Hash flooding: keys crafted to share one home slot under a hasher an attacker knows
    /// (seed 0: what an unseeded hash is) pile up in one probe run there, and spread out under
    /// the process's random seed.
    @Test func keysCraftedAgainstAKnownSeedSpreadUnderTheProcessSeed() throws {
        let known = ConnectionTracker(capacity: 800, hasher: TableHash(seed: 0))
        let mask = known.slotCount - 1
        var crafted: [TrackingKey] = []
        var candidate: UInt32 = 0
        while crafted.count < 100 {  // one client, one server: only the ports vary
            let key = Self.key(0x0A00_0001, UInt16(truncatingIfNeeded: candidate), 0xC000_0201, UInt16(truncatingIfNeeded: candidate >> 16))
            if Int(known.hash(key)) & mask == 7 { crafted.append(key) }
            candidate += 1
        }
        func longestDisplacement(_ tracker: ConnectionTracker) -> Int {
            crafted.map { key in
                let slot = tracker.insert(key, state: .tcpEstablished, now: 0)
                return (slot - Int(tracker.hash(key))) & (tracker.slotCount - 1)
            }.max()!
        }
        #expect(longestDisplacement(known) == 99, "the attack works against the known seed (and nothing is refused)")
        #expect(known.counters.refused == 0)
        let seeded = ConnectionTracker(capacity: 800)
        try #require(seeded.hasher != known.hasher)
        #expect(longestDisplacement(seeded) < 10, "the same keys under the process seed")
    }

    // MARK: The index table of the NAT and the load balancer

    @Test func indexTableKeysThatDifferOnlyInPortsOrOneByteFillHalfWithoutRefusal() {
        func fill(_ keys: [(UInt64, UInt64)], capacity: Int, _ what: Comment) {
            let table = IndexTable(capacity: capacity)
            for (index, key) in keys.enumerated() { #expect(table.insert(key.0, key.1, value: Int32(index)), what) }
            for (index, key) in keys.enumerated() { #expect(table.find(key.0, key.1) == Int32(index), what) }
            #expect(table.count == keys.count)
        }
        // NAT keys: protocol << 48 | port << 32 | address, one pool address, every port.
        let tcp = UInt64(IPProtocol.tcp) << 48
        fill((0..<32_768).map { (tcp | UInt64(1024 + $0) << 32 | 0xC633_6401, 0) }, capacity: 65_536, "ports")
        fill((0..<256).map { (tcp | UInt64(40000) << 32 | 0x0A00_0000 | UInt64($0), 0) }, capacity: 512, "address byte")
        // Load-balancer keys: client address and port, VIP.
        fill(
            (0..<32_768).map { (UInt64(0x0A00_0001) << 32 | UInt64(1024 + $0), 0xC000_0264_0050) }, capacity: 65_536,
            "client ports to one VIP")
        // A full index refuses only at its capacity.
        let full = IndexTable(capacity: 100)
        for index in 0..<100 { #expect(full.insert(UInt64(index), 0, value: 0)) }
        #expect(!full.insert(1000, 0, value: 0))
        #expect(full.insert(5, 0, value: 9), "replacing a stored key is no new key")
    }
}
