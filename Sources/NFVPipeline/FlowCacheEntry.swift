import NFVPacket

/// One cached flow: its key, and how the stages treated its packets: the Ethernet header
/// they left with, the addresses and ports after every rewrite, how much TTL they lost,
/// the RFC 1624 adjustments that keep the IPv4 header and transport checksums right, and the
/// port they left by. 128 bytes, two cache lines.
///
/// The all-zero value is an empty slot (the table comes from zeroed memory).
@frozen
public struct FlowCacheEntry: Sendable {
    public var key: FlowCacheKey
    /// The key's table hash.
    public var hash: UInt32
    /// The slot holds a flow.
    public var isUsed: Bool
    /// Hops the stages took off the TTL (hop limit).
    public var ttlDecrement: UInt8
    /// The chain port the packets leave by.
    public var outPort: UInt16
    /// When a packet last took the entry (packet time, nanoseconds).
    public var lastHit: UInt64
    /// Frame bytes 0..<8 and 8..<12 after the stages (MAC addresses), as loaded.
    public var ethernetHead: UInt64
    public var ethernetTail: UInt32
    /// Transport bytes 0..<4 (ports) after the stages, as loaded.
    public var ports: UInt32
    /// Addresses after the stages, laid out as in `FlowCacheKey`.
    public var address0: UInt64
    public var address1: UInt64
    public var address2: UInt64
    public var address3: UInt64
    /// Ones'-complement sums of ~old + new over the IPv4 header words the stages changed, and
    /// over the pseudo-header and port words (RFC 1624 equation 3), in packet byte order.
    public var ipv4ChecksumAdjustment: UInt16
    public var transportChecksumAdjustment: UInt16
    /// The longest IP packet the stages let through (the smallest MTU a lease named; 65535
    /// when none did).
    public var mtu: UInt16
    /// Where the transport checksum lies in the transport header (6: UDP, 16: TCP).
    public var transportChecksumOffset: UInt8
    /// `ipv6Flag`, and `demotedFlag` while a batch found that one of the flow's packets must
    /// take the stages' path: the flow's later packets in the batch follow it there, and the
    /// entry goes after the batch.
    public var flags: UInt8

    public static let ipv6Flag: UInt8 = 1
    public static let demotedFlag: UInt8 = 2
    public var isIPv6: Bool { flags & Self.ipv6Flag != 0 }
    public var isDemoted: Bool { flags & Self.demotedFlag != 0 }
}
