import NFVPacket
import Testing

@testable import NFVPipeline

/// The flow cache as a table: flows that differ only in a port spread out, a cache below its
/// capacity takes every flow and loses none while others come and go, a full one refuses
/// (the caller counts it) and never evicts, idle flows go.
@Suite struct FlowCacheTests {
    /// The key of a UDP flow from 10.0.0.1:`port` to 198.51.100.1:53 on port 0.
    static func key(port: UInt16, inPort: UInt16 = 0) -> FlowCacheKey {
        var bytes = [UInt8](repeating: 0, count: 60)
        bytes[12] = 0x08
        bytes[14] = 0x45
        bytes[23] = IPProtocol.udp
        bytes[26...29] = [10, 0, 0, 1]
        bytes[30...33] = [198, 51, 100, 1]
        bytes[34] = UInt8(port >> 8)
        bytes[35] = UInt8(port & 0xFF)
        bytes[37] = 53
        var metadata = PacketMetadata(id: 0, dataOffset: 0, length: 60, inPort: inPort, timestamp: 0)
        metadata.l3Offset = 14
        metadata.l4Offset = 34
        metadata.ipProtocol = IPProtocol.udp
        return bytes.withUnsafeBytes { FlowCacheKey(frame: $0.baseAddress!, metadata: metadata, isIPv4: true) }
    }

    static func insert(_ cache: FlowCache, port: UInt16, at time: UInt64 = 1) -> FlowCache.Result {
        var entry = FlowCacheEntry(key: key(port: port), hash: key(port: port).hash(cache.hasher))
        entry.lastHit = time
        let notes = FastPathNotes(stageCount: cache.stageCount, slotCount: 1)
        let leases = [FastPathLease](
            repeating: FastPathLink(notes: notes, slot: 0).pass, count: cache.stageCount)
        return leases.withUnsafeBufferPointer { cache.insert(entry, leases: $0.baseAddress!) }
    }

    @Test func keysThatDifferInOnePortOrTheInPortDiffer() {
        #expect(Self.key(port: 1000) != Self.key(port: 1001))
        #expect(Self.key(port: 1000) != Self.key(port: 1000, inPort: 1))
        let hasher = TableHash(seed: 7)
        let homes = Set((0..<4096).map { Int(Self.key(port: UInt16(20_000 + $0)).hash(hasher)) & 8191 })
        #expect(homes.count > 3000, "4096 flows of one host pair spread over the table (\(homes.count) home slots)")
    }

    @Test func belowCapacityEveryFlowIsTakenAndStaysFindable() {
        let cache = FlowCache(capacity: 1000, stageCount: 2, hasher: TableHash(seed: 3))
        for port in 0..<1000 { #expect(Self.insert(cache, port: UInt16(port)) == .inserted) }
        #expect(Self.insert(cache, port: 5) == .present)
        #expect(Self.insert(cache, port: 2000) == .full, "a full cache refuses a new flow")
        // Remove every third flow: the rest stay findable after the backward shifts.
        for port in stride(from: 0, to: 1000, by: 3) {
            cache.remove(Self.key(port: UInt16(port)), hash: Self.key(port: UInt16(port)).hash(cache.hasher))
        }
        for port in 0..<1000 {
            let key = Self.key(port: UInt16(port))
            #expect((cache.find(key, hash: key.hash(cache.hasher)) >= 0) == (port % 3 != 0), "port \(port)")
        }
        #expect(Self.insert(cache, port: 2000) == .inserted, "room again after removals")
    }

    @Test func idleFlowsGoAndBusyOnesStay() {
        let cache = FlowCache(capacity: 64, stageCount: 1, hasher: TableHash(seed: 5))
        for port in 0..<10 { _ = Self.insert(cache, port: UInt16(port), at: 1_000_000_000) }
        for port in 10..<20 { _ = Self.insert(cache, port: UInt16(port), at: 20_000_000_000) }
        let now = 1_000_000_000 + FlowCache.idleTimeout + 1
        for _ in 0..<10 { cache.sweep(now: now, slotBudget: 32) }
        #expect(cache.count == 10)
        for port in 10..<20 {
            let key = Self.key(port: UInt16(port))
            #expect(cache.find(key, hash: key.hash(cache.hasher)) >= 0)
        }
    }
}
