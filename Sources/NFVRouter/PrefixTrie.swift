import NFVPacket

/// A longest-prefix-match table over 32-bit (IPv4) or 128-bit (IPv6) keys: a multibit trie
/// with controlled prefix expansion, a 16-bit first stride (a 65,536-entry root) and 8-bit
/// strides below. A lookup reads one node per stride until it meets a leaf: at most 3 for
/// IPv4 (2 for prefixes up to /24), 15 for IPv6; never a scan over routes.
///
/// The trie is built from the full route list and never changed afterwards; a route change
/// builds a new trie and the stage swaps it in between batches.
public final class PrefixTrie {
    /// Entry: bits 0-31 the value + 1 (0 = none), bits 32-39 the prefix length that set it,
    /// bits 40-63 the index of the child node's first entry divided by 256 (0 = leaf; the
    /// root, at 0, is never a child).
    @usableFromInline let nodes: UnsafeMutablePointer<UInt64>
    /// Nodes allocated.
    public let nodeCount: Int
    /// Key width in bits (32 or 128).
    public let keyBits: Int

    /// Builds a trie holding `routes` (prefix of `keyBits` bits -> value). For duplicate
    /// prefixes the last one wins.
    public init(keyBits: Int, routes: [(prefix: (high: UInt64, low: UInt64), length: Int, value: UInt32)]) {
        precondition(keyBits == 32 || keyBits == 128, "keys are IPv4 or IPv6 addresses")
        self.keyBits = keyBits
        // Count nodes first so memory is allocated once.
        var builder = TrieBuilder(keyBits: keyBits)
        for route in routes.sorted(by: { $0.length < $1.length }) {
            builder.insert(prefix: route.prefix, length: route.length, value: route.value)
        }
        nodeCount = 1 + (builder.nodes.count - TrieBuilder.rootSize) / 256
        nodes = .allocate(capacity: builder.nodes.count)
        nodes.initialize(from: builder.nodes, count: builder.nodes.count)
    }

    deinit { nodes.deallocate() }

    /// Bytes of node memory.
    public var memoryByteCount: Int { (TrieBuilder.rootSize + (nodeCount - 1) * 256) * 8 }

    /// The value of the longest prefix containing the IPv4 address `address`, or nil.
    @inlinable @inline(__always)
    public func lookup(ipv4 address: UInt32) -> UInt32? {
        let entry = lookupEntry(ipv4: address)
        return entry == 0 ? nil : entry &- 1
    }

    /// The value + 1 of the longest prefix containing `address`, or 0 when none does: what
    /// `lookup(ipv4:)` returns, without the optional (a hot path folds its checks into one
    /// comparison).
    @inlinable @inline(__always)
    public func lookupEntry(ipv4 address: UInt32) -> UInt32 {
        var entry = nodes[Int(address >> 16)]
        var best = entry
        var shift: UInt32 = 8
        while entry >> 40 != 0 {
            entry = nodes[Int(truncatingIfNeeded: entry >> 40) &* 256 &+ Int((address >> shift) & 0xFF)]
            if entry & 0xFFFF_FFFF != 0 { best = entry }
            if shift == 0 { break }
            shift &-= 8
        }
        return UInt32(truncatingIfNeeded: best)
    }

    /// The value of the longest prefix containing the IPv6 address, or nil.
    @inlinable
    public func lookup(ipv6 address: IPv6Address) -> UInt32? {
        var entry = nodes[Int(address.high >> 48)]
        var best = entry
        var byteIndex = 2
        while entry >> 40 != 0 && byteIndex < 16 {
            let half = byteIndex < 8 ? address.high : address.low
            let byte = Int((half >> UInt64(56 - (byteIndex & 7) * 8)) & 0xFF)
            entry = nodes[Int(truncatingIfNeeded: entry >> 40) &* 256 &+ byte]
            if entry & 0xFFFF_FFFF != 0 { best = entry }
            byteIndex += 1
        }
        return best & 0xFFFF_FFFF == 0 ? nil : UInt32(truncatingIfNeeded: best) &- 1
    }
}

/// Builds the node array of a `PrefixTrie`: a 65,536-entry root for the first 16 bits, then
/// 256-entry nodes, one per further byte.
struct TrieBuilder {
    static let rootSize = 65_536
    let keyBits: Int
    var nodes: [UInt64] = Array(repeating: 0, count: TrieBuilder.rootSize)

    init(keyBits: Int) { self.keyBits = keyBits }

    /// The byte `index` (0 = most significant) of a key.
    func byte(_ key: (high: UInt64, low: UInt64), _ index: Int) -> Int {
        let aligned = index + (16 - keyBits / 8)  // IPv4 keys sit in the last 4 bytes of `low`
        let half = aligned < 8 ? key.high : key.low
        return Int((half >> UInt64(56 - (aligned & 7) * 8)) & 0xFF)
    }

    /// Entries of the node at `start` covered by `bits` key bits from byte `first` (the root
    /// takes 16 bits, other nodes 8): (first index, count).
    func span(_ key: (high: UInt64, low: UInt64), depth: Int, bits: Int) -> (Int, Int) {
        if depth == 0 {
            let value = byte(key, 0) << 8 | byte(key, 1)
            let masked = bits == 0 ? 0 : value & (0xFFFF << (16 - bits)) & 0xFFFF
            return (masked, 1 << (16 - bits))
        }
        let value = byte(key, depth + 1)
        let masked = bits == 0 ? 0 : value & (0xFF << (8 - bits)) & 0xFF
        return (masked, 1 << (8 - bits))
    }

    /// Inserts in order of increasing length, so a longer prefix always overwrites the
    /// expanded entries of a shorter one and never the other way round.
    mutating func insert(prefix: (high: UInt64, low: UInt64), length: Int, value: UInt32) {
        var start = 0  // first entry of the current node
        var depth = 0  // 0: root (16 bits), n: the node for byte n + 1
        var covered = 16
        while length > covered {
            let index = depth == 0 ? (byte(prefix, 0) << 8 | byte(prefix, 1)) : byte(prefix, depth + 1)
            let slot = start + index
            var child = Int(nodes[slot] >> 40)
            if child == 0 {
                child = nodes.count / 256
                nodes.append(contentsOf: repeatElement(0, count: 256))
                nodes[slot] |= UInt64(child) << 40
                // The new node inherits the entry's value as the default for its whole range.
                let inherited = nodes[slot] & 0xFF_FFFF_FFFF
                if inherited & 0xFFFF_FFFF != 0 {
                    for entry in 0..<256 { nodes[child * 256 + entry] = inherited }
                }
            }
            start = child * 256
            depth += 1
            covered += 8
        }
        let bits = length - (covered - (depth == 0 ? 16 : 8))
        let (first, count) = span(prefix, depth: depth, bits: bits)
        let leaf = UInt64(value + 1) | UInt64(length) << 32
        for index in first..<(first + count) {
            setCovering(slot: start + index, leaf: leaf, length: length)
        }
    }

    /// Sets `leaf` on an entry and, through its subtree, on every entry no longer prefix set.
    mutating func setCovering(slot: Int, leaf: UInt64, length: Int) {
        let current = nodes[slot]
        if Int((current >> 32) & 0xFF) <= length || current & 0xFFFF_FFFF == 0 {
            nodes[slot] = (current & ~UInt64(0xFF_FFFF_FFFF)) | leaf
        }
        let child = Int(current >> 40)
        if child != 0 {
            for inner in 0..<256 { setCovering(slot: child * 256 + inner, leaf: leaf, length: length) }
        }
    }
}
