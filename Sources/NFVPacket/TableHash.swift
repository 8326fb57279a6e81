import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The one keyed hash of every table keyed by packet fields: connection tracker, NAT and
/// load-balancer index tables, neighbour table, switch MAC table, exact-match cache and path
/// affinity, and the steering of flows to workers.
///
/// - Keyed: a per-process seed drawn from the kernel's random source at start-up (as netfilter
///   seeds its conntrack hash with `get_random_bytes`), so nobody outside the process can craft
///   flows that share a probe run.
/// - Well mixed: words are absorbed pairwise by a full 64x64->128-bit multiply folded back to 64
///   bits (the `mum` step of wyhash), and a final multiply mixes the result, so every key bit
///   reaches the low bits a table takes its index from. Keys that differ only in a port, in one
///   address byte or in the VLAN land in unrelated slots.
/// - Symmetric where a table needs it: callers hash the canonical (direction-free) form of a
///   flow, so both directions meet.
///
/// Each table copies the hasher into a stored `let` at creation: the hot path reads three words
/// of its own, never a global.
@frozen
public struct TableHash: Sendable, Equatable {
    /// Seed words: `k0`/`k1` key the first pair of words, `k2`/`k3` the second, `k4` the last.
    public let k0: UInt64
    public let k1: UInt64
    public let k2: UInt64
    public let k3: UInt64
    public let k4: UInt64

    /// A hasher keyed by `seed`: five key words derived from it with SplitMix64.
    public init(seed: UInt64) {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        k0 = next()
        k1 = next()
        k2 = next()
        k3 = next()
        k4 = next() | 1  // odd: the final multiply never loses the value
    }

    /// The hasher of this process, seeded once from the kernel's random source (the standard
    /// library's `SystemRandomNumberGenerator`, which reads getrandom(2)). `NFV_HASH_SEED=N` in
    /// the environment fixes the seed instead, so that a benchmark counts the same instructions
    /// every run and a table layout can be reproduced; never set it in production.
    public static let process = TableHash(seed: processSeed)

    /// The seed of `process`: one adopted before first use (`adopt(seed:)`), else
    /// `NFV_HASH_SEED`, else drawn from the kernel's random source.
    public static let processSeed: UInt64 = seedChoice.withLock { choice in
        choice.used = true
        return choice.adopted ?? fixedSeed ?? UInt64.random(in: .min ... .max)
    }

    static let seedChoice = Mutex<(adopted: UInt64?, used: Bool)>((nil, false))

    /// Makes `seed` the seed of this process's hasher, which must not have been used yet: a
    /// data plane that takes a chain over (or restores its state) keys its tables and its
    /// steering as the one that held the state did, so every flow belongs to the same worker
    /// and finds its entries. False when the hasher was already in use (too late).
    public static func adopt(seed: UInt64) -> Bool {
        seedChoice.withLock { choice in
            guard !choice.used else { return choice.adopted == seed }
            choice.adopted = seed
            return true
        }
    }

    /// The seed `NFV_HASH_SEED` names (decimal, or hexadecimal after 0x), if any.
    static var fixedSeed: UInt64? {
        guard let text = getenv("NFV_HASH_SEED").map({ String(cString: $0) }) else { return nil }
        return text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }

    /// The full 128-bit product of `a` and `b`, high and low halves folded by XOR.
    @inlinable @inline(__always)
    public static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// The hash of one word.
    @inlinable @inline(__always)
    public func hash(_ a: UInt64) -> UInt64 {
        Self.fold(Self.fold(a ^ k0, k1), k4)
    }

    /// The hash of two words.
    @inlinable @inline(__always)
    public func hash(_ a: UInt64, _ b: UInt64) -> UInt64 {
        Self.fold(Self.fold(a ^ k0, b ^ k1) ^ k2, k4)
    }

    /// The hash of three words (the third is absorbed by the final multiply).
    @inlinable @inline(__always)
    public func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
        Self.fold(Self.fold(a ^ k0, b ^ k1) ^ k2, c ^ k4)
    }

    /// The hash of five words: two pairs and a tail. `pairOf(0, 0)` is what the second pair
    /// contributes when both its words are zero (IPv4 in IPv4-mapped form): callers with such
    /// keys may pass it precomputed to `hash(_:_:precomputedPair:_:)`.
    @inlinable @inline(__always)
    public func hash(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, _ e: UInt64) -> UInt64 {
        hash(a, b, precomputedPair: secondPair(c, d), e)
    }

    /// The second pair's contribution to a five-word hash.
    @inlinable @inline(__always)
    public func secondPair(_ c: UInt64, _ d: UInt64) -> UInt64 {
        Self.fold(c ^ k2, d ^ k3)
    }

    /// A five-word hash whose second pair was folded already (`secondPair`).
    @inlinable @inline(__always)
    public func hash(_ a: UInt64, _ b: UInt64, precomputedPair: UInt64, _ e: UInt64) -> UInt64 {
        Self.fold(Self.fold(a ^ k0, b ^ k1) ^ precomputedPair, e ^ k4)
    }
}
