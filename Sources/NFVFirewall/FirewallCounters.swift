/// Hits per rule (packets and bytes), for the default action, and connection outcomes.
///
/// A rule's hits count every packet whose verdict came from it: the packet that matched it
/// and, when stateful, every later packet of the connection it allowed (both directions).
public final class FirewallCounters {
    /// Number of rules (the default action has its own slot after them).
    public let ruleCount: Int
    @usableFromInline let storage: UnsafeMutablePointer<UInt64>  // (packets, bytes) per rule, then default, then related

    public init(ruleCount: Int) {
        self.ruleCount = ruleCount
        storage = .allocate(capacity: 2 * (ruleCount + 3))
        storage.initialize(repeating: 0, count: 2 * (ruleCount + 3))
    }

    deinit { storage.deallocate() }

    /// Counts a packet of `byteCount` bytes for rule `index` (`ruleCount` means the default).
    @inlinable
    public func hit(_ index: Int, byteCount: Int) {
        storage[2 &* index] &+= 1
        storage[2 &* index &+ 1] &+= UInt64(byteCount)
    }

    /// Packets and bytes of rule `index`.
    public func hits(rule index: Int) -> (packets: UInt64, bytes: UInt64) { (storage[2 * index], storage[2 * index + 1]) }

    /// Packets and bytes that took the default action.
    public var defaultHits: (packets: UInt64, bytes: UInt64) { hits(rule: ruleCount) }

    /// ICMP errors passed because they quote a tracked connection (RELATED).
    public var related: UInt64 { storage[2 * (ruleCount + 1)] }

    @inlinable
    func countRelated() { storage[2 &* (ruleCount &+ 1)] &+= 1 }

    /// Replies (RST / ICMP) that could not be sent for lack of a buffer.
    public var replyFailures: UInt64 { storage[2 * (ruleCount + 1) + 1] }

    /// The counter slot of connections whose rule a live update removed (they keep passing).
    public var retiredSlot: Int { ruleCount + 2 }

    /// Packets and bytes of connections allowed by rules that a live update removed since.
    public var retiredHits: (packets: UInt64, bytes: UInt64) { hits(rule: retiredSlot) }

    @inlinable
    func countReplyFailure() { storage[2 &* (ruleCount &+ 1) &+ 1] &+= 1 }
}
