import NFVPacket

/// Which service path a connection took, kept so its replies take the same path even when a
/// stage on the path translated the addresses (NAT, a load balancer in NAT mode): the last
/// stage of a chain with paths records, for each forward packet as it leaves, the reply's key
/// (its addresses, ports and protocol swapped, as they are after translation); the classifier
/// looks a packet from the far side up here before its flows. The same idea as Open vSwitch's
/// `ct(commit, mark=...)` and the conntrack lookup of the reply.
///
/// A fixed table (allocated once) on the keyed `TableHash`, open addressing with linear
/// probing and 25 % more slots than connections; entries are overwritten, never emptied, so a
/// lookup ends at the first slot never used. Below `capacity` connections a new one always gets
/// a slot; once the table holds `capacity`, a new connection takes over the entry that expires
/// soonest among the first 8 slots of its probe run (an idle one first; `evictions` counts
/// live ones taken over), or else an empty slot while 7/8 of the slots are not yet in use.
public final class PathAffinity: @unchecked Sendable {
    struct Entry {
        var key: SwitchKey
        var path: UInt8
        var used: Bool
        var expires: UInt64
    }

    let entries: UnsafeMutablePointer<Entry>
    let mask: Int
    let timeout: UInt64
    let hasher: TableHash
    /// The most connections held without taking over an entry.
    public let capacity: Int
    /// Slots in use.
    public private(set) var count = 0
    /// Live connections whose entry a new one took over because the table was full.
    public private(set) var evictions: UInt64 = 0
    /// Connections not recorded because 7/8 of the slots were in use and nothing near their
    /// home slot could be taken over (their replies are classified by the flows).
    public private(set) var refused: UInt64 = 0
    /// How many slots of a probe run a full table searches for an entry to take over.
    static let reuseWindow = 8
    /// The most slots ever in use (7/8 of them), so every probe run ends at an empty slot.
    let slotLimit: Int

    /// Keeps up to `capacity` connections for `timeoutSeconds` of silence.
    public init(capacity: Int = 65_536, timeoutSeconds: UInt64 = 300, hasher: TableHash = .process) {
        precondition(capacity > 0)
        var slots = 16
        while slots < capacity + capacity / 4 + 1 { slots <<= 1 }
        entries = .allocate(capacity: slots)
        entries.initialize(repeating: Entry(key: SwitchKey(), path: 0, used: false, expires: 0), count: slots)
        mask = slots - 1
        slotLimit = slots - slots / 8
        self.capacity = capacity
        self.hasher = hasher
        timeout = timeoutSeconds * 1_000_000_000
    }

    deinit { entries.deallocate() }

    /// The connection part of `key` (IP addresses, transport ports, protocol).
    @inline(__always)
    static func connection(_ key: SwitchKey) -> SwitchKey {
        var result = SwitchKey()
        result.words = (0, 0, key.words.2 & 0x0000_FFFF_FFFF_FF00, key.words.3, key.words.4, key.words.5, key.words.6)
        return result
    }

    /// Records that replies to the forward packet with `key` belong to `path`.
    @inline(__always)
    public func recordReply(of key: SwitchKey, path: UInt8, now: UInt64) {
        var reply = Self.connection(key)
        reply.ipSource = key.ipDestination
        reply.ipDestination = key.ipSource
        reply.transportSource = key.transportDestination
        reply.transportDestination = key.transportSource
        var slot = Int(truncatingIfNeeded: reply.hash(with: hasher)) & mask
        var reusable = -1
        var probe = 0
        while true {
            let entry = entries + slot
            if !entry.pointee.used { break }
            if entry.pointee.key == reply {
                entry.pointee.path = path
                entry.pointee.expires = now &+ timeout
                return
            }
            if probe < Self.reuseWindow && (reusable < 0 || entry.pointee.expires < entries[reusable].expires) {
                reusable = slot
            }
            slot = (slot &+ 1) & mask
            probe &+= 1
        }
        if count >= capacity && reusable >= 0 {
            if entries[reusable].expires > now { evictions &+= 1 }
            slot = reusable
        } else if count < slotLimit {
            count += 1
        } else {
            refused &+= 1
            return
        }
        entries[slot] = Entry(key: reply, path: path, used: true, expires: now &+ timeout)
    }

    /// The path of the connection `key` replies to, or 0. Not inlined: only chains with paths
    /// call it, and inlined its probe loop cost every switch 17 instructions per packet in
    /// register spills.
    @inline(never)
    public func path(ofReply key: SwitchKey, now: UInt64) -> UInt8 {
        let probeKey = Self.connection(key)
        var slot = Int(truncatingIfNeeded: probeKey.hash(with: hasher)) & mask
        while true {
            let entry = entries + slot
            if !entry.pointee.used { return 0 }
            if entry.pointee.key == probeKey {
                guard entry.pointee.expires > now else { return 0 }
                entry.pointee.expires = now &+ timeout
                return entry.pointee.path
            }
            slot = (slot &+ 1) & mask
        }
    }
}
