/// Maglev consistent hashing (Eisenbud et al., NSDI 2016): a lookup table of prime size M in
/// which every backend owns about M x weight / total-weight entries, filled from a per-backend
/// permutation of the slots. Removing one of N backends changes only about 1/N of the entries,
/// so most flows keep their backend even without connection state.
public struct MaglevTable: Sendable {
    /// The table size (a prime).
    public let size: Int
    /// Backend index per entry (-1 when there is no backend at all).
    public let entries: [Int32]

    /// Builds the table for backends identified by `names` (their permutation seeds) with
    /// `weights`; a weight of 0 (down, draining, removed) takes no entries.
    /// - Precondition: `size` is prime and larger than the number of backends.
    public init(names: [String], weights: [Int], size: Int = 65_537) {
        precondition(names.count == weights.count, "one weight per backend")
        precondition(MaglevTable.isPrime(size) && size > names.count, "the table size must be a prime above the backend count")
        self.size = size
        var table = [Int32](repeating: -1, count: size)
        let active = names.indices.filter { weights[$0] > 0 }
        guard !active.isEmpty else {
            entries = table
            return
        }
        // Permutation of backend i: offset + j * skip (mod M), from two independent hashes of the name.
        let offsets = active.map { Int(MaglevTable.hash(names[$0], seed: 0xA5A5) % UInt64(size)) }
        let skips = active.map { Int(MaglevTable.hash(names[$0], seed: 0x5A5A) % UInt64(size - 1)) + 1 }
        var next = [Int](repeating: 0, count: active.count)
        var owned = [Int](repeating: 0, count: active.count)
        let activeWeights = active.map { weights[$0] }
        let totalWeight = activeWeights.reduce(0, +)
        // Each step the backend furthest below its share (weight / total) claims the next free
        // slot of its permutation: every backend ends with its weighted share of the table.
        for filled in 0..<size {
            var chosen = 0
            var bestDeficit = Int.min
            for position in active.indices {
                let deficit = activeWeights[position] * (filled + 1) - owned[position] * totalWeight
                if deficit > bestDeficit {
                    bestDeficit = deficit
                    chosen = position
                }
            }
            var slot = (offsets[chosen] + next[chosen] * skips[chosen]) % size
            while table[slot] >= 0 {
                next[chosen] += 1
                slot = (offsets[chosen] + next[chosen] * skips[chosen]) % size
            }
            table[slot] = Int32(active[chosen])
            next[chosen] += 1
            owned[chosen] += 1
        }
        entries = table
    }

    /// The backend for a flow hash.
    @inlinable
    public func backend(forHash hash: UInt64) -> Int {
        Int(entries[Int(hash % UInt64(size))])
    }

    /// FNV-1a over the name with a seed, then a final mix: stable across runs and processes.
    public static func hash(_ name: String, seed: UInt64) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for byte in name.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        value ^= value >> 33
        value = value &* 0xFF51_AFD7_ED55_8CCD
        return value ^ (value >> 33)
    }

    /// True for primes (trial division; table sizes are small).
    public static func isPrime(_ value: Int) -> Bool {
        guard value >= 2 else { return false }
        var divisor = 2
        while divisor * divisor <= value {
            if value % divisor == 0 { return false }
            divisor += 1
        }
        return true
    }
}
