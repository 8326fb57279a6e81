/// What a NAT did: mappings created and expired, translations, refused packets.
public final class NATCounters {
    @usableFromInline let storage: UnsafeMutablePointer<UInt64>
    public init() {
        storage = .allocate(capacity: 8)
        storage.initialize(repeating: 0, count: 8)
    }
    deinit { storage.deallocate() }
    /// Mappings created.
    public var mappingsCreated: UInt64 { storage[0] }
    /// Mappings removed after their idle timeout.
    public var mappingsExpired: UInt64 { storage[1] }
    /// Packets whose mapping could not be created: no port left (or the table was full).
    public var portExhaustion: UInt64 { storage[2] }
    /// Inbound ICMP errors translated back to the inside host (RFC 5508).
    public var icmpErrorsTranslated: UInt64 { storage[3] }
    /// Packets sent back inside through a public mapping (hairpinning).
    public var hairpinned: UInt64 { storage[4] }
    @inlinable func count(_ slot: Int) { storage[slot] &+= 1 }
}
