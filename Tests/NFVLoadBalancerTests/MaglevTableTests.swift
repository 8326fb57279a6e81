import NFVLoadBalancer
import NFVPacket
import Testing

@Suite struct MaglevTableTests {
    /// 100k flows over backends weighted 1:2:3 land within 2 % of 1/6, 2/6, 3/6.
    @Test func weightedDistributionOverAHundredThousandFlows() {
        let table = MaglevTable(names: ["web1", "web2", "web3"], weights: [1, 2, 3])
        var counts = [0, 0, 0]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100_000 { counts[table.backend(forHash: UInt64.random(in: 0...UInt64.max, using: &generator))] += 1 }
        let shares = counts.map { Double($0) / 100_000 }
        for (share, weight) in zip(shares, [1.0, 2.0, 3.0]) {
            #expect(abs(share - weight / 6) < 0.02, "share \(share) for weight \(weight)")
        }
        // The table itself holds the weighted shares almost exactly.
        let entries = (0..<3).map { backend in table.entries.filter { $0 == Int32(backend) }.count }
        #expect(abs(Double(entries[2]) / Double(table.size) - 0.5) < 0.001)
    }

    /// Removing one of 10 equal backends reassigns about 1/10 of the flows (the Maglev paper's
    /// minimal disruption); flows of the other backends mostly stay.
    @Test func removingOneOfTenBackendsMovesAboutATenth() {
        let names = (1...10).map { "backend\($0)" }
        let before = MaglevTable(names: names, weights: Array(repeating: 1, count: 10))
        var weights = Array(repeating: 1, count: 10)
        weights[3] = 0  // backend4 removed
        let after = MaglevTable(names: names, weights: weights)
        var moved = 0
        var movedFromOthers = 0
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100_000 {
            let hash = UInt64.random(in: 0...UInt64.max, using: &generator)
            let old = before.backend(forHash: hash)
            let new = after.backend(forHash: hash)
            if old != new {
                moved += 1
                if old != 3 { movedFromOthers += 1 }
            }
            #expect(new != 3)
        }
        let share = Double(moved) / 100_000
        print(
            "Maglev disruption: removing 1 of 10 backends reassigned \(String(format: "%.2f", share * 100)) % of 100,000 flows "
                + "(\(String(format: "%.2f", Double(movedFromOthers) / 1000)) % from backends that stayed)")
        #expect(share > 0.09 && share < 0.13)
        #expect(Double(movedFromOthers) / 100_000 < 0.03)
    }

    @Test func tableSizesArePrime() {
        #expect(MaglevTable.isPrime(65_537) && !MaglevTable.isPrime(65_536))
        let empty = MaglevTable(names: ["a"], weights: [0], size: 101)
        #expect(empty.backend(forHash: 7) == -1)
    }
}
