/// Which service path a connection took, kept so its replies take the same path even when a
/// stage on the path translated the addresses (NAT, a load balancer in NAT mode): the last
/// stage of a chain with paths records, for each forward packet as it leaves, the reply's key
/// (its addresses, ports and protocol swapped, as they are after translation); the classifier
/// looks a packet from the far side up here before its flows. The same idea as Open vSwitch's
/// `ct(commit, mark=...)` and the conntrack lookup of the reply.
///
/// A fixed table (allocated once, open addressing, bounded probing); an entry idle for
/// `timeout` is reused. A full neighbourhood overwrites its oldest entry (counted).
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
    public private(set) var evictions: UInt64 = 0

    /// Keeps up to `capacity` connections (a power of two) for `timeoutSeconds` of silence.
    public init(capacity: Int = 65_536, timeoutSeconds: UInt64 = 300) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0)
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: Entry(key: SwitchKey(), path: 0, used: false, expires: 0), count: capacity)
        mask = capacity - 1
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
        let start = Int(truncatingIfNeeded: reply.fastHash) & mask
        var oldest = start
        for probe in 0..<8 {
            let slot = (start &+ probe) & mask
            let entry = entries + slot
            if entry.pointee.used && entry.pointee.key == reply {
                entry.pointee.path = path
                entry.pointee.expires = now &+ timeout
                return
            }
            if !entry.pointee.used || entry.pointee.expires <= now {
                entry.pointee = Entry(key: reply, path: path, used: true, expires: now &+ timeout)
                return
            }
            if entry.pointee.expires < entries[oldest].expires { oldest = slot }
        }
        evictions &+= 1
        entries[oldest] = Entry(key: reply, path: path, used: true, expires: now &+ timeout)
    }

    /// The path of the connection `key` replies to, or 0.
    @inline(__always)
    public func path(ofReply key: SwitchKey, now: UInt64) -> UInt8 {
        let probeKey = Self.connection(key)
        let start = Int(truncatingIfNeeded: probeKey.fastHash) & mask
        for probe in 0..<8 {
            let entry = entries + ((start &+ probe) & mask)
            if !entry.pointee.used { return 0 }
            if entry.pointee.key == probeKey {
                guard entry.pointee.expires > now else { return 0 }
                entry.pointee.expires = now &+ timeout
                return entry.pointee.path
            }
        }
        return 0
    }
}
