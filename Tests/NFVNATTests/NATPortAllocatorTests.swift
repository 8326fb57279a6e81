import NFVPacket
import NFVTestSupport
import Testing

@testable import NFVNAT

/// The constant-time port allocator against the rule it replaces, a linear scan: the preferred
/// port when free, else the next free one after it, wrapping within the range, never a reserved
/// one.
@Suite struct NATPortAllocatorTests {
    /// The reference: the old linear scan over a set of taken ports.
    struct LinearScan {
        var taken = Set<UInt16>()
        var reserved = Set<UInt16>()
        mutating func allocate(preferred: UInt16, range: PortRange) -> UInt16? {
            var candidate = range.contains(preferred) ? preferred : range.lower
            for _ in 0..<range.count {
                if !taken.contains(candidate) && !reserved.contains(candidate) {
                    taken.insert(candidate)
                    return candidate
                }
                candidate = candidate == range.upper ? range.lower : candidate + 1
            }
            return nil
        }
    }

    @Test(arguments: [
        PortRange(1024, 65535), PortRange(1, 65535), PortRange(0, 65535), PortRange(5000, 5100),
        PortRange(60000, 60063), PortRange(4097, 4159), PortRange(7, 7),
    ])
    func agreesWithALinearScan(range: PortRange) {
        var generator = SeededGenerator(seed: UInt64(range.lower) << 16 | UInt64(range.upper))
        let allocator = NATPortAllocator(poolCount: 2)
        var reference = LinearScan()
        let reservedPorts = (0..<8).map { _ in UInt16(Int(range.lower) + Int.random(in: 0..<range.count, using: &generator)) }
        allocator.reserve { pool, protocolIndex in pool == 1 && protocolIndex == 0 ? reservedPorts : [] }
        reference.reserved = Set(reservedPorts)
        var live: [UInt16] = []
        for step in 0..<20_000 {
            // Mostly allocations until the range is nearly or fully exhausted, then churn.
            if live.isEmpty || Int.random(in: 0..<100, using: &generator) < (step < range.count ? 80 : 50) {
                // Preferred ports cluster, as many hosts behind the NAT use the same source ports.
                let preferred =
                    Bool.random(using: &generator)
                    ? UInt16(40000 + step % 7)
                    : UInt16(Int(range.lower) + Int.random(in: 0..<range.count, using: &generator))
                let got = allocator.allocate(pool: 1, protocolIndex: 0, preferred: preferred, range: range)
                let expected = reference.allocate(preferred: preferred, range: range)
                #expect(got == expected, "step \(step): preferred \(preferred)")
                if got != expected { return }
                if let got { live.append(got) }
            } else {
                let port = live.remove(at: Int.random(in: 0..<live.count, using: &generator))
                allocator.release(pool: 1, protocolIndex: 0, port: port)
                reference.taken.remove(port)
            }
        }
        // The other maps were never touched.
        #expect(!allocator.isTaken(pool: 0, protocolIndex: 0, port: range.lower))
        #expect(!allocator.isTaken(pool: 1, protocolIndex: 1, port: range.lower))
    }

    @Test func aWholeAddressForwardReservesEveryPort() {
        let allocator = NATPortAllocator(poolCount: 1)
        allocator.reserve { _, _ in nil }
        #expect(allocator.allocate(pool: 0, protocolIndex: 0, preferred: 1234, range: PortRange(1, 65535)) == nil)
        allocator.reserve { _, _ in [] }
        #expect(allocator.allocate(pool: 0, protocolIndex: 0, preferred: 1234, range: PortRange(1, 65535)) == 1234)
    }
}
