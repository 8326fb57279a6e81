import NFVPacket
import NFVRouter
import Testing

/// The neighbour table on the keyed hash: hosts of one subnet differ in their last address
/// byte (IPv4) or in a byte of the interface identifier (IPv6); half the capacity of such
/// neighbours all get an entry, none is reused for another.
@Suite struct NeighborTableTests {
    func fill(_ addresses: [IPv6Address], capacity: Int, _ what: Comment) {
        let table = NeighborTable(capacity: capacity, queueDepth: 4)
        var slots: [Int] = []
        for address in addresses {
            let slot = table.findOrCreate(address, interface: 0, now: 1_000)
            #expect(slot >= 0, what)
            slots.append(slot)
        }
        #expect(Set(slots).count == addresses.count, what)
        #expect(table.reused == 0 && table.count == addresses.count, what)
        for (address, slot) in zip(addresses, slots) { #expect(table.find(address) == slot, what) }
    }

    @Test func neighboursThatDifferInOneByteFillHalfTheTable() {
        for byte in 0..<4 {
            fill(
                (0..<256).map { IPv6Address(ipv4Mapped: IPv4Address(rawValue: 0x0A00_0000 ^ UInt32($0) << UInt32(8 * byte))) },
                capacity: 512, "IPv4 address byte \(byte)")
        }
        for byte in 0..<8 {
            fill(
                (0..<256).map { IPv6Address(high: 0xFE80_0000_0000_0000, low: 0x0200_5EFF_FE00_0001 ^ UInt64($0) << UInt64(8 * byte)) },
                capacity: 512, "IPv6 interface identifier byte \(byte)")
        }
    }

    @Test func aFullTableReusesStaleEntriesAndCountsIt() {
        let table = NeighborTable(capacity: 64, queueDepth: 1, hasher: TableHash(seed: 3))
        for host in 0..<64 {
            #expect(
                table.findOrCreate(
                    IPv6Address(ipv4Mapped: IPv4Address(rawValue: 0x0A00_0000 + UInt32(host))), interface: 0,
                    now: 10) >= 0)
        }
        #expect(table.count == 64 && table.reused == 0)
        // Every entry is unresolved and stale (reachableUntil 0 < now): newcomers take stale
        // entries over where their probe run has one.
        for host in 0..<64 {
            let newcomer = IPv6Address(ipv4Mapped: IPv4Address(rawValue: 0x0A00_1000 + UInt32(host)))
            let slot = table.findOrCreate(newcomer, interface: 0, now: 20)
            #expect(slot >= 0)
            #expect(table.find(newcomer) == slot)
        }
        #expect(table.reused > 0 && table.count < 64 + 64)
    }
}
