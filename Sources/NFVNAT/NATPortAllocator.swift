import NFVPacket
import NFVPipeline

/// The NAT's outside ports: one 65,536-bit map per (pool address, protocol) of the ports taken
/// (by a mapping or reserved for a static forward), with a 1,024-bit summary of which 64-port
/// words are full. Finding the next free port after a preferred one reads at most two partial
/// words, 16 summary words and one word: constant time whether the pool is empty, nearly full
/// or exhausted (a linear scan made every new flow after exhaustion walk all 64,512 ports).
final class NATPortAllocator {
    /// Protocols with their own port space: TCP, UDP, ICMP (query identifiers).
    static let protocolCount = 3
    static let wordsPerMap = 1024
    static let summaryWords = 16

    let mapCount: Int
    /// Taken ports (mapped or reserved), `wordsPerMap` words per map.
    let taken: UnsafeMutablePointer<UInt64>
    /// Ports reserved for static forwards: never handed out, never released.
    let reserved: UnsafeMutablePointer<UInt64>
    /// Bit `w` of a map's summary is set when its word `w` is full.
    let full: UnsafeMutablePointer<UInt64>
    /// Ports other workers own (port modulo the worker count is not this worker's index), one
    /// bit per port: reserved like a forward's, so they are never handed out here.
    let foreign: [UInt64]

    /// An allocator for `poolCount` addresses that hands out only the ports of worker
    /// `share.index` of `share.count`.
    init(poolCount: Int, share: WorkerShare = WorkerShare()) {
        var foreign = [UInt64](repeating: 0, count: Self.wordsPerMap)
        if share.count > 1 {
            for port in 0..<65_536 where port % share.count != share.index { foreign[port >> 6] |= UInt64(1) << UInt64(port & 63) }
        }
        self.foreign = foreign
        mapCount = max(poolCount, 1) * Self.protocolCount
        taken = .allocate(capacity: mapCount * Self.wordsPerMap)
        taken.initialize(repeating: 0, count: mapCount * Self.wordsPerMap)
        reserved = .allocate(capacity: mapCount * Self.wordsPerMap)
        reserved.initialize(repeating: 0, count: mapCount * Self.wordsPerMap)
        full = .allocate(capacity: mapCount * Self.summaryWords)
        full.initialize(repeating: 0, count: mapCount * Self.summaryWords)
    }

    deinit {
        taken.deallocate()
        reserved.deallocate()
        full.deallocate()
    }

    @inline(__always)
    func map(_ pool: Int, _ protocolIndex: Int) -> Int { pool * Self.protocolCount + protocolIndex }

    /// Takes `preferred` when it is in `range` and free, otherwise the next free port after it
    /// (wrapping within the range); nil when every port of the range is taken.
    func allocate(pool: Int, protocolIndex: Int, preferred: UInt16, range: PortRange) -> UInt16? {
        let map = map(pool, protocolIndex)
        let start = range.contains(preferred) ? preferred : range.lower
        guard
            let port = firstFree(map, from: start, through: range.upper)
                ?? (start > range.lower ? firstFree(map, from: range.lower, through: start - 1) : nil)
        else { return nil }
        take(map, port)
        return port
    }

    /// Gives a mapping's port back (a reserved port stays taken).
    func release(pool: Int, protocolIndex: Int, port: UInt16) {
        let map = map(pool, protocolIndex)
        let word = map * Self.wordsPerMap + Int(port >> 6)
        let bit = UInt64(1) << UInt64(port & 63)
        guard reserved[word] & bit == 0 else { return }
        taken[word] &= ~bit
        full[map * Self.summaryWords + Int(port >> 12)] &= ~(UInt64(1) << UInt64(port >> 6 & 63))
    }

    /// Replaces the reserved ports: `ports(pool, protocolIndex)` lists a map's reserved ports,
    /// or nil for all of them (a forward of a whole address). Ports mapped already stay mapped.
    func reserve(_ ports: (Int, Int) -> [UInt16]?) {
        for pool in 0..<mapCount / Self.protocolCount {
            for protocolIndex in 0..<Self.protocolCount {
                let map = map(pool, protocolIndex)
                let words = map * Self.wordsPerMap
                var fresh = [UInt64](repeating: 0, count: Self.wordsPerMap)
                if let list = ports(pool, protocolIndex) {
                    for port in list { fresh[Int(port >> 6)] |= UInt64(1) << UInt64(port & 63) }
                } else {
                    fresh = [UInt64](repeating: .max, count: Self.wordsPerMap)
                }
                for word in 0..<Self.wordsPerMap {
                    fresh[word] |= foreign[word]
                    taken[words + word] = taken[words + word] & ~reserved[words + word] | fresh[word]
                    reserved[words + word] = fresh[word]
                    let summary = map * Self.summaryWords + word >> 6
                    let bit = UInt64(1) << UInt64(word & 63)
                    full[summary] = taken[words + word] == .max ? full[summary] | bit : full[summary] & ~bit
                }
            }
        }
    }

    /// True when `port` is taken in the map.
    func isTaken(pool: Int, protocolIndex: Int, port: UInt16) -> Bool {
        taken[map(pool, protocolIndex) * Self.wordsPerMap + Int(port >> 6)] >> UInt64(port & 63) & 1 == 1
    }

    @inline(__always)
    func take(_ map: Int, _ port: UInt16) {
        let word = map * Self.wordsPerMap + Int(port >> 6)
        taken[word] |= UInt64(1) << UInt64(port & 63)
        if taken[word] == .max { full[map * Self.summaryWords + Int(port >> 12)] |= UInt64(1) << UInt64(port >> 6 & 63) }
    }

    /// The lowest free port in `lower...upper` of the map.
    func firstFree(_ map: Int, from lower: UInt16, through upper: UInt16) -> UInt16? {
        let words = taken + map * Self.wordsPerMap
        let firstWord = Int(lower >> 6)
        let lastWord = Int(upper >> 6)
        // The word of `lower`, from its bit on (and up to `upper` when it is the same word).
        var free = ~words[firstWord] & (UInt64.max << UInt64(lower & 63))
        if firstWord == lastWord { free &= UInt64.max >> UInt64(63 - upper & 63) }
        if free != 0 { return UInt16(firstWord << 6 | free.trailingZeroBitCount) }
        guard firstWord < lastWord else { return nil }
        // Whole words strictly between, found through the summary.
        let summary = full + map * Self.summaryWords
        var word = firstWord + 1
        while word < lastWord {
            let notFull = ~summary[word >> 6] & (UInt64.max << UInt64(word & 63))
            if notFull != 0 {
                let candidate = (word & ~63) | notFull.trailingZeroBitCount
                if candidate < lastWord {
                    return UInt16(candidate << 6 | (~words[candidate]).trailingZeroBitCount)
                }
                break
            }
            word = (word | 63) + 1
        }
        // The word of `upper`, up to its bit.
        free = ~words[lastWord] & (UInt64.max >> UInt64(63 - upper & 63))
        return free != 0 ? UInt16(lastWord << 6 | free.trailingZeroBitCount) : nil
    }
}
