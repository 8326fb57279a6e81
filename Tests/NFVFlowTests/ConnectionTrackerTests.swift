import NFVFlow
import NFVPacket
import Testing

@Suite struct ConnectionTrackerTests {
    static let second: UInt64 = 1_000_000_000

    static func key(
        _ client: UInt32, _ clientPort: UInt16, _ server: UInt32 = 0xC000_0201, _ serverPort: UInt16 = 80,
        proto: UInt8 = IPProtocol.tcp
    ) -> FlowKey {
        FlowKey(
            source: IPv6Address(ipv4Mapped: IPv4Address(rawValue: client)),
            destination: IPv6Address(ipv4Mapped: IPv4Address(rawValue: server)),
            sourcePort: clientPort, destinationPort: serverPort, ipProtocol: proto)
    }

    @Test func bothDirectionsFindTheSameEntryAndKnowTheirDirection() {
        let tracker = ConnectionTracker(capacity: 100)
        let forward = TrackingKey(Self.key(0x0A00_0001, 40000))
        let reply = TrackingKey(Self.key(0x0A00_0001, 40000).reversed)
        #expect(tracker.hash(forward) == tracker.hash(reply) && forward.sourceIsLow != reply.sourceIsLow)
        let slot = tracker.insert(forward, state: .tcpSynSent, now: 0)
        #expect(slot >= 0)
        #expect(tracker.find(reply, now: 1) == slot)
        #expect(tracker.entries[slot].isOriginalDirection(forward))
        #expect(!tracker.entries[slot].isOriginalDirection(reply))
        #expect(tracker.update(slot, key: reply, tcpFlags: [.syn, .ack], now: 2))
        #expect(tracker.update(slot, key: forward, tcpFlags: [.ack], now: 3))
        #expect(tracker.entries[slot].state == .tcpEstablished)
        #expect(!tracker.update(slot, key: forward, tcpFlags: [.syn], now: 4))
        #expect(tracker.counters.invalid == 1)
    }

    @Test func entriesExpireAfterTheirStatesTimeout() {
        let tracker = ConnectionTracker(capacity: 100)
        let key = TrackingKey(Self.key(0x0A00_0002, 5353, proto: IPProtocol.udp))
        let slot = tracker.insert(key, state: .udpUnreplied, now: 0)
        #expect(tracker.find(key, now: 29 * Self.second) == slot)
        #expect(tracker.find(key, now: 30 * Self.second) == -1, "netfilter's 30 s for unreplied UDP")
        #expect(tracker.count == 0 && tracker.counters.expired == 1)
        let again = tracker.insert(key, state: .udpUnreplied, now: 40 * Self.second)
        #expect(
            tracker.update(
                again, key: TrackingKey(Self.key(0x0A00_0002, 5353, proto: IPProtocol.udp).reversed),
                tcpFlags: [], now: 41 * Self.second))
        #expect(tracker.entries[again].state == .udpReplied)
        #expect(tracker.find(key, now: 160 * Self.second) == again, "replied UDP lives 120 s after the last packet")
    }

    @Test func sweeperRemovesExpiredEntriesAFewSlotsAtATime() {
        let tracker = ConnectionTracker(capacity: 1000)
        for index in 0..<500 {
            _ = tracker.insert(TrackingKey(Self.key(0x0A00_0000 + UInt32(index), 1000, proto: IPProtocol.udp)), state: .udpUnreplied, now: 0)
        }
        #expect(tracker.count == 500)
        var calls = 0
        while tracker.count > 0 && calls < 1000 {
            tracker.sweep(now: 31 * Self.second, slotBudget: 64)
            calls += 1
        }
        #expect(tracker.count == 0)
        #expect(calls >= tracker.slotCount / 64, "each call looks at no more than its budget")
    }

    /// Random inserts, lookups and removals against a dictionary: backward-shift deletion must
    /// never hide an entry from a lookup.
    @Test func randomOperationsAgreeWithAReferenceMap() {
        let tracker = ConnectionTracker(capacity: 2000, maximumProbeCount: 64)
        var reference: [UInt32: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50_000 {
            let client = UInt32.random(in: 0..<3000, using: &generator)
            let key = TrackingKey(Self.key(0x0A00_0000 + client, 7, proto: IPProtocol.udp))
            let slot = tracker.find(key, now: 0)
            #expect((slot >= 0) == (reference[client] != nil))
            if slot >= 0 {
                if Bool.random(using: &generator) {
                    tracker.remove(slot)
                    reference[client] = nil
                }
            } else if reference.count < 1500 {
                let inserted = tracker.insert(key, state: .udpReplied, now: 0)
                #expect(inserted >= 0)
                reference[client] = inserted
            }
        }
        #expect(tracker.count == reference.count)
        for client in reference.keys {
            #expect(tracker.find(TrackingKey(Self.key(0x0A00_0000 + client, 7, proto: IPProtocol.udp)), now: 0) >= 0)
        }
    }

    /// The acceptance case: 1M distinct new flows into a table of 64k. The table's memory is
    /// fixed, assured (established) connections are never evicted and keep being found, the
    /// overflow is counted, nothing crashes.
    @Test func aMillionNewFlowsIntoSixtyFourThousandSlots() {
        let tracker = ConnectionTracker(capacity: 65_536)
        let memory = tracker.memoryByteCount
        var established: [TrackingKey] = []
        for index in 0..<10_000 {
            let key = TrackingKey(Self.key(0xC633_0000 + UInt32(index), 443, 0x0A01_0101, 8443))
            let slot = tracker.insert(key, state: .tcpSynSent, now: 0)
            #expect(slot >= 0)
            let reply = TrackingKey(Self.key(0xC633_0000 + UInt32(index), 443, 0x0A01_0101, 8443).reversed)
            _ = tracker.update(slot, key: reply, tcpFlags: [.syn, .ack], now: 0)
            _ = tracker.update(slot, key: key, tcpFlags: [.ack], now: 0)
            established.append(key)
        }
        var refusedOrEvicted: UInt64 = 0
        for index in 0..<1_000_000 {
            let now = UInt64(index) * 1_000  // 1 µs apart: nothing expires during the run
            let key = TrackingKey(Self.key(0x0B00_0000 + UInt32(index), UInt16(truncatingIfNeeded: index), proto: IPProtocol.udp))
            if tracker.find(key, now: now) < 0 { _ = tracker.insert(key, state: .udpUnreplied, now: now) }
        }
        refusedOrEvicted = tracker.counters.refused + tracker.counters.evicted
        #expect(tracker.memoryByteCount == memory)
        #expect(tracker.count <= 65_536)
        #expect(refusedOrEvicted >= 1_000_000 - 65_536 + 10_000)
        for key in established {
            #expect(tracker.find(key, now: 1_000_000_000) >= 0)
        }
    }
}
