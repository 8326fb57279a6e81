/// What a router did besides forwarding: control messages it sent and answered, ICMP errors
/// sent or suppressed by the rate limit, and queued packets it had to give up on.
public final class RouterCounters {
    @usableFromInline let storage: UnsafeMutablePointer<UInt64>
    static let slotCount = 8

    public init() {
        storage = .allocate(capacity: Self.slotCount)
        storage.initialize(repeating: 0, count: Self.slotCount)
    }

    deinit { storage.deallocate() }

    /// ICMP / ICMPv6 errors sent.
    public var icmpErrorsSent: UInt64 { storage[0] }
    /// ICMP errors not sent because of the rate limit.
    public var icmpErrorsRateLimited: UInt64 { storage[1] }
    /// ARP requests and neighbour solicitations sent.
    public var solicitationsSent: UInt64 { storage[2] }
    /// ARP replies, neighbour advertisements and echo replies sent.
    public var repliesSent: UInt64 { storage[3] }
    /// Queued packets dropped because their next hop never answered or the emit batch was full.
    public var queuedPacketsDropped: UInt64 { storage[4] }
    /// Queued packets sent after their next hop resolved.
    public var queuedPacketsSent: UInt64 { storage[5] }
    /// Generated packets lost for lack of a buffer or emit room.
    public var generationFailures: UInt64 { storage[6] }

    @inlinable func count(_ slot: Int) { storage[slot] &+= 1 }
}
