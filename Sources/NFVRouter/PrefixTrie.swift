import NFVPacket

/// A longest-prefix-match table over 32-bit (IPv4) or 128-bit (IPv6) keys: a multibit trie
/// with 8-bit strides and controlled prefix expansion. A lookup reads one 256-entry node per
/// byte of the address until it meets a leaf: at most 4 nodes for IPv4, 16 for IPv6, never a
/// scan over routes.
///
/// The trie is built from the full route list and never changed afterwards; a route change
/// builds a new trie and the stage swaps it in between batches.
public final class PrefixTrie {
    /// Entry: bits 0-31 the value + 1 (0 = none), bits 32-39 the prefix length that set it,
    /// bits 40-63 the child node index + 1 (0 = leaf).
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
        nodeCount = builder.nodes.count / 256
        nodes = .allocate(capacity: builder.nodes.count)
        nodes.initialize(from: builder.nodes, count: builder.nodes.count)
    }

    deinit { nodes.deallocate() }

    /// Bytes of node memory.
    public var memoryByteCount: Int { nodeCount * 256 * 8 }

    /// The value of the longest prefix containing the IPv4 address `address`, or nil.
    @inlinable
    public func lookup(ipv4 address: UInt32) -> UInt32? {
        var node = 0
        var best: UInt64 = 0
        var shift: UInt32 = 24
        while true {
            let entry = nodes[node &* 256 &+ Int((address >> shift) & 0xFF)]
            if entry & 0xFFFF_FFFF != 0 { best = entry }
            let child = Int(entry >> 40)
            if child == 0 || shift == 0 { break }
            node = child &- 1
            shift &-= 8
        }
        return best & 0xFFFF_FFFF == 0 ? nil : UInt32(truncatingIfNeeded: best) &- 1
    }

    /// The value of the longest prefix containing the IPv6 address, or nil.
    @inlinable
    public func lookup(ipv6 address: IPv6Address) -> UInt32? {
        var node = 0
        var best: UInt64 = 0
        for byteIndex in 0..<16 {
            let half = byteIndex < 8 ? address.high : address.low
            let byte = Int((half >> UInt64(56 - (byteIndex & 7) * 8)) & 0xFF)
            let entry = nodes[node &* 256 &+ byte]
            if entry & 0xFFFF_FFFF != 0 { best = entry }
            let child = Int(entry >> 40)
            if child == 0 { break }
            node = child &- 1
        }
        return best & 0xFFFF_FFFF == 0 ? nil : UInt32(truncatingIfNeeded: best) &- 1
    }
}

/// Builds the node array of a `PrefixTrie`.
struct TrieBuilder {
    let keyBits: Int
    var nodes: [UInt64] = Array(repeating: 0, count: 256)

    init(keyBits: Int) { self.keyBits = keyBits }

    /// The byte `index` (0 = most significant) of a key left-aligned in 128 bits.
    func byte(_ key: (high: UInt64, low: UInt64), _ index: Int) -> Int {
        let aligned = index + (16 - keyBits / 8)  // IPv4 keys sit in the last 4 bytes of `low`
        let half = aligned < 8 ? key.high : key.low
        return Int((half >> UInt64(56 - (aligned & 7) * 8)) & 0xFF)
    }

    /// Inserts in order of increasing length, so a longer prefix always overwrites the
    /// expanded entries of a shorter one and never the other way round.
    mutating func insert(prefix: (high: UInt64, low: UInt64), length: Int, value: UInt32) {
        var node = 0
        var depth = 0
        // Walk (creating nodes) through the full bytes above the prefix's last partial byte.
        while length - depth * 8 > 8 {
            let slot = node * 256 + byte(prefix, depth)
            var child = Int(nodes[slot] >> 40)
            if child == 0 {
                child = nodes.count / 256 + 1
                nodes.append(contentsOf: repeatElement(0, count: 256))
                // The new node inherits the entry's value as the default for the whole range.
                nodes[slot] |= UInt64(child) << 40
                let inherited = nodes[slot] & 0xFF_FFFF_FFFF
                if inherited & 0xFFFF_FFFF != 0 {
                    for index in 0..<256 { nodes[(child - 1) * 256 + index] = inherited }
                }
            }
            node = child - 1
            depth += 1
        }
        // Expand the remaining 0...8 bits over the covered entries of this node.
        let remaining = length - depth * 8
        let first = remaining == 0 ? 0 : byte(prefix, depth) & (0xFF << (8 - remaining)) & 0xFF
        let span = 1 << (8 - remaining)
        let leaf = UInt64(value + 1) | UInt64(length) << 32
        for index in first..<(first + span) {
            setCovering(node: node, index: index, leaf: leaf, length: length)
        }
    }

    /// Sets `leaf` on an entry and, through its subtree, on every entry no longer prefix set.
    mutating func setCovering(node: Int, index: Int, leaf: UInt64, length: Int) {
        let slot = node * 256 + index
        let current = nodes[slot]
        if Int((current >> 32) & 0xFF) <= length || current & 0xFFFF_FFFF == 0 {
            nodes[slot] = (current & ~UInt64(0xFF_FFFF_FFFF)) | leaf
        }
        let child = Int(current >> 40)
        if child != 0 {
            for inner in 0..<256 { setCovering(node: child - 1, index: inner, leaf: leaf, length: length) }
        }
    }
}
