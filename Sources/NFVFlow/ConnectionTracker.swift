import NFVPacket

/// A fixed-capacity connection table shared by the stateful VNFs (firewall, NAT, load
/// balancer): both directions of a flow find the same entry.
///
/// - Memory: `slotCount` entries allocated once (the capacity rounded up to a power of two
///   with 25 % headroom for probing); the table never grows. At most `capacity` connections
///   are live.
/// - Hash: the keyed `TableHash` (per-process seed) of the canonical key, so both directions
///   meet and connections that differ only in a port spread over the whole table.
/// - Lookup: open addressing with linear probing up to the first empty slot (there always is
///   one: the table has 25 % more slots than connections); removal shifts later entries back,
///   so there are no tombstones. A new connection is never refused or evicted while fewer than
///   `capacity` connections are live, however long its probe run.
/// - Expiry: every entry expires after the idle timeout of its state. Lookups remove expired
///   entries they meet, and `sweep` examines a bounded number of slots per call (the VNFs call
///   it once per batch): there is never a stop-the-world scan.
/// - Full table (`capacity` connections live): a new connection may evict the not-yet-assured
///   entry (one that never saw a reply or is closing) that expires soonest within the first
///   `maximumProbeCount` slots of its probe run, as netfilter's early_drop does; when every
///   candidate is assured the new connection is refused and counted (`counters.refused`).
///
/// Time is the packets' own timestamps (nanoseconds), so a replay behaves the same every run.
public final class ConnectionTracker {
    /// The most connections live at once.
    public let capacity: Int
    /// Slots in the table (a power of two).
    public let slotCount: Int
    /// How many slots of a new connection's probe run a full table searches for an entry to
    /// evict.
    public let maximumProbeCount: Int
    /// The keyed hash of the table.
    public let hasher: TableHash
    /// `hasher.secondPair(0, 0)`: the high address words' share of an IPv4 key's hash.
    @usableFromInline let zeroHighWords: UInt64
    /// Idle timeouts per state.
    public let timeouts: ConnectionTimeouts
    /// The table.
    public let entries: UnsafeMutablePointer<ConnectionEntry>
    /// Event counters.
    public let counters = ConnectionTrackerCounters()
    @usableFromInline let mask: Int
    @usableFromInline let liveCount: UnsafeMutablePointer<Int>  // [live connections, sweep cursor, last serial]
    /// Idle timeout in nanoseconds per state, indexed by the state's raw value.
    @usableFromInline let timeoutTable: UnsafeMutablePointer<UInt64>

    /// Bytes of table memory: fixed for the tracker's life.
    public var memoryByteCount: Int { slotCount * MemoryLayout<ConnectionEntry>.stride }

    /// A table for `capacity` connections.
    public init(
        capacity: Int, timeouts: ConnectionTimeouts = ConnectionTimeouts(), maximumProbeCount: Int = 32,
        hasher: TableHash = .process
    ) {
        precondition(capacity > 0, "capacity must be positive")
        var slots = 16
        while slots < capacity + capacity / 4 { slots <<= 1 }
        self.capacity = capacity
        self.slotCount = slots
        self.mask = slots - 1
        self.maximumProbeCount = min(maximumProbeCount, slots)
        self.timeouts = timeouts
        self.hasher = hasher
        zeroHighWords = hasher.secondPair(0, 0)
        entries = .allocate(capacity: slots)
        entries.initialize(repeating: .empty, count: slots)
        liveCount = .allocate(capacity: 3)
        liveCount.initialize(repeating: 0, count: 3)
        timeoutTable = .allocate(capacity: 256)
        timeoutTable.initialize(repeating: 0, count: 256)
        for state in ConnectionState.allCases { timeoutTable[Int(state.rawValue)] = timeouts.nanoseconds(state) }
    }

    deinit {
        entries.deallocate()
        liveCount.deallocate()
        timeoutTable.deallocate()
    }

    /// Connections currently in the table (expired ones not yet removed included).
    public var count: Int { liveCount[0] }

    /// The table hash of `key` (the same for both directions).
    @inlinable @inline(__always)
    public func hash(_ key: TrackingKey) -> UInt32 {
        let highWords =
            key.lowAddressHigh | key.highAddressHigh == 0
            ? zeroHighWords
            : hasher.secondPair(key.lowAddressHigh, key.highAddressHigh)
        return UInt32(
            truncatingIfNeeded: hasher.hash(
                key.lowAddressLow, key.highAddressLow, precomputedPair: highWords,
                key.portsProtocolVLAN))
    }

    /// The slot of `key`'s connection, or -1. An expired entry met on the way is removed.
    @inlinable @inline(__always)
    public func find(_ key: TrackingKey, now: UInt64) -> Int {
        let hash = self.hash(key)
        var slot = Int(hash) & mask
        let entries = self.entries
        while true {
            let entry = entries + slot
            if entry.pointee.flags & ConnectionEntry.Flag.occupied == 0 { return -1 }
            if entry.pointee.hash == hash && entry.pointee.matches(key) {
                if entry.pointee.expires <= now { return expire(slot) }
                return slot
            }
            slot = (slot &+ 1) & mask
        }
    }

    /// Removes the expired connection in `slot` (a lookup met it) and reports a miss.
    @inline(never) @usableFromInline
    func expire(_ slot: Int) -> Int {
        counters.expired &+= 1
        remove(slot)
        return -1
    }

    /// Starts tracking a new connection opened by the packet with `key`; returns its slot, or
    /// -1 when the table is full and nothing could be evicted (counted in `refused`).
    /// The caller checked with `find` that the connection is not tracked.
    public func insert(_ key: TrackingKey, state: ConnectionState, now: UInt64) -> Int {
        let hash = self.hash(key)
        var slot = Int(hash) & mask
        var victim = -1
        var victimExpiry = UInt64.max
        var probe = 0
        while true {
            let entry = entries[slot]
            if !entry.isOccupied { break }
            if entry.expires <= now {
                counters.expired &+= 1
                remove(slot)
                continue  // the slot may now hold a shifted entry or be empty: look again
            }
            if probe < maximumProbeCount && !entry.state.isAssured && entry.expires < victimExpiry {
                victim = slot
                victimExpiry = entry.expires
            }
            slot = (slot &+ 1) & mask
            probe &+= 1
        }
        if liveCount[0] >= capacity {
            guard victim >= 0 else {
                counters.refused &+= 1
                return -1
            }
            counters.evicted &+= 1
            remove(victim)
            return insert(key, state: state, now: now)
        }
        entries[slot] = ConnectionEntry(
            lowAddressHigh: key.lowAddressHigh, lowAddressLow: key.lowAddressLow,
            highAddressHigh: key.highAddressHigh, highAddressLow: key.highAddressLow,
            portsProtocolVLAN: key.portsProtocolVLAN, expires: now &+ timeouts.nanoseconds(state), hash: hash,
            ruleNumber: 0, state: state,
            flags: ConnectionEntry.Flag.occupied | (key.sourceIsLow ? ConnectionEntry.Flag.originIsLow : 0))
        liveCount[0] &+= 1
        renumber(entries + slot)
        counters.created &+= 1
        return slot
    }

    /// Removes the connection in `slot`, shifting later entries of its probe run back so no
    /// lookup is cut short (backward-shift deletion).
    @inlinable
    public func remove(_ slot: Int) {
        var hole = slot
        var next = (slot &+ 1) & mask
        while true {
            let entry = entries[next]
            if !entry.isOccupied { break }
            let home = Int(entry.hash) & mask
            // Move the entry into the hole when its home is not cyclically within (hole, next].
            let distanceToHole = (hole &- home) & mask
            let distanceToNext = (next &- home) & mask
            if distanceToHole < distanceToNext {
                entries[hole] = entry
                hole = next
            }
            next = (next &+ 1) & mask
            if next == slot { break }
        }
        entries[hole] = .empty
        liveCount[0] &-= 1
    }

    /// Applies a packet of the connection in `slot`: advances the state, refreshes the expiry.
    /// Returns false when the packet is INVALID for the state (nothing changes then).
    @inlinable @inline(__always)
    public func update(_ slot: Int, key: TrackingKey, tcpFlags: TCPFlags, now: UInt64) -> Bool {
        let entry = entries + slot
        let isOriginal = key.sourceIsLow == (entry.pointee.flags & ConnectionEntry.Flag.originIsLow != 0)
        let state = entry.pointee.state
        // The common cases stay here: established TCP without SYN/FIN/RST, and pseudo-connections.
        if state == .tcpEstablished
            && tcpFlags.rawValue & (TCPFlags.syn.rawValue | TCPFlags.fin.rawValue | TCPFlags.rst.rawValue) == 0
        {
            entry.pointee.expires = now &+ timeoutTable[Int(state.rawValue)]
            return true
        }
        if state.rawValue >= ConnectionState.udpUnreplied.rawValue {
            var next = state
            if !isOriginal {
                switch state {
                case .udpUnreplied: next = .udpReplied
                case .icmpRequested: next = .icmpReplied
                case .otherUnreplied: next = .otherReplied
                default: break
                }
                if next != state {
                    entry.pointee.state = next
                    renumber(entry)
                }
            }
            entry.pointee.expires = now &+ timeoutTable[Int(next.rawValue)]
            return true
        }
        return updateTCP(entry, sourceIsLow: key.sourceIsLow, isOriginal: isOriginal, tcpFlags: tcpFlags, now: now)
    }

    /// True when the connection in `slot` is in a state where a TCP segment without SYN, FIN
    /// or RST, or any UDP datagram, only pushes its expiry out (by `timeout(slot)`):
    /// established TCP, or a pseudo-connection. A cache may then lease the decision on the
    /// entry's serial, which changes with every state change (`serialWord`, `expiryWord`).
    @inlinable @inline(__always)
    public func isSteady(_ slot: Int) -> Bool {
        let state = entries[slot].state
        return state == .tcpEstablished || state.rawValue >= ConnectionState.udpUnreplied.rawValue
    }

    /// The idle timeout of the connection in `slot`'s state, in nanoseconds.
    @inlinable
    public func timeout(_ slot: Int) -> UInt64 { timeoutTable[Int(entries[slot].state.rawValue)] }

    /// Where the serial of the entry in `slot` lies.
    @inlinable
    public func serialWord(_ slot: Int) -> UnsafeMutablePointer<UInt32> {
        (UnsafeMutableRawPointer(entries + slot) + Self.serialOffset).assumingMemoryBound(to: UInt32.self)
    }

    /// Where the expiry of the entry in `slot` lies.
    @inlinable
    public func expiryWord(_ slot: Int) -> UnsafeMutablePointer<UInt64> {
        (UnsafeMutableRawPointer(entries + slot) + Self.expiresOffset).assumingMemoryBound(to: UInt64.self)
    }

    @usableFromInline static let serialOffset = MemoryLayout<ConnectionEntry>.offset(of: \.serial)!
    @usableFromInline static let expiresOffset = MemoryLayout<ConnectionEntry>.offset(of: \.expires)!

    /// Gives the entry a new serial: its state changed, so what was leased on it is over.
    @usableFromInline
    func renumber(_ entry: UnsafeMutablePointer<ConnectionEntry>) {
        liveCount[2] &+= 1
        entry.pointee.serial = UInt32(truncatingIfNeeded: liveCount[2])
    }

    /// TCP transitions other than the established data path.
    @inline(never) @usableFromInline
    func updateTCP(
        _ entry: UnsafeMutablePointer<ConnectionEntry>, sourceIsLow: Bool, isOriginal: Bool,
        tcpFlags: TCPFlags, now: UInt64
    ) -> Bool {
        let state = entry.pointee.state
        let step = TCPStateMachine.next(
            state, flags: tcpFlags, isOriginal: isOriginal,
            finFromOrigin: entry.pointee.flags & ConnectionEntry.Flag.finFromOrigin != 0)
        guard step.isValid else {
            counters.invalid &+= 1
            return false
        }
        if step.reopens {
            entry.pointee.flags = ConnectionEntry.Flag.occupied | (sourceIsLow ? ConnectionEntry.Flag.originIsLow : 0)
        } else if step.state == .tcpFinWait && state != .tcpFinWait {
            entry.pointee.flags =
                isOriginal
                ? entry.pointee.flags | ConnectionEntry.Flag.finFromOrigin
                : entry.pointee.flags & ~ConnectionEntry.Flag.finFromOrigin
        }
        entry.pointee.state = step.state
        entry.pointee.expires = now &+ timeoutTable[Int(step.state.rawValue)]
        renumber(entry)
        return true
    }

    /// Examines up to `slotBudget` slots from where the last sweep stopped and removes expired
    /// entries. Returns how many it removed.
    @discardableResult
    public func sweep(now: UInt64, slotBudget: Int = 64) -> Int {
        var removed = 0
        var cursor = liveCount[1]
        for _ in 0..<min(slotBudget, slotCount) {
            let entry = entries[cursor]
            if entry.isOccupied && entry.expires <= now {
                remove(cursor)
                counters.expired &+= 1
                removed += 1
                continue  // a shifted entry may now sit in this slot
            }
            cursor = (cursor &+ 1) & mask
        }
        liveCount[1] = cursor
        return removed
    }

    /// The state a new connection starts in, for its first packet; nil when that packet
    /// cannot open a connection (a TCP segment other than a SYN, an ICMP reply or error).
    @inlinable
    public static func openingState(ipProtocol: UInt8, tcpFlags: TCPFlags, icmpType: UInt8) -> ConnectionState? {
        switch ipProtocol {
        case IPProtocol.tcp: TCPStateMachine.opens(tcpFlags) ? .tcpSynSent : nil
        case IPProtocol.udp, IPProtocol.udpLite: .udpUnreplied
        case IPProtocol.icmp: icmpType == 8 || icmpType == 13 || icmpType == 15 || icmpType == 17 ? .icmpRequested : nil
        case IPProtocol.icmpv6: icmpType == ICMPHeader.echoRequestV6 ? .icmpRequested : nil
        default: .otherUnreplied
        }
    }
}
