/// How long a connection may stay idle in each state before it expires, in seconds. The
/// defaults are Linux netfilter's (nf_conntrack_tcp_timeout_*, udp_timeout, udp_timeout_stream,
/// icmp_timeout, generic_timeout).
public struct ConnectionTimeouts: Sendable, Equatable {
    public var tcpSynSent: UInt64 = 120
    public var tcpSynReceived: UInt64 = 60
    public var tcpEstablished: UInt64 = 432_000
    public var tcpFinWait: UInt64 = 120
    public var tcpCloseWait: UInt64 = 60
    public var tcpLastAck: UInt64 = 30
    public var tcpTimeWait: UInt64 = 120
    public var tcpClose: UInt64 = 10
    public var udpUnreplied: UInt64 = 30
    public var udpReplied: UInt64 = 120
    public var icmp: UInt64 = 30
    public var other: UInt64 = 600

    /// netfilter's defaults.
    public init() {}

    /// The idle timeout of `state` in nanoseconds.
    @inlinable
    public func nanoseconds(_ state: ConnectionState) -> UInt64 {
        let seconds: UInt64 =
            switch state {
            case .none: 0
            case .tcpSynSent: tcpSynSent
            case .tcpSynReceived: tcpSynReceived
            case .tcpEstablished: tcpEstablished
            case .tcpFinWait: tcpFinWait
            case .tcpCloseWait: tcpCloseWait
            case .tcpLastAck: tcpLastAck
            case .tcpTimeWait: tcpTimeWait
            case .tcpClose: tcpClose
            case .udpUnreplied: udpUnreplied
            case .udpReplied: udpReplied
            case .icmpRequested, .icmpReplied: icmp
            case .otherUnreplied, .otherReplied: other
            }
        return seconds &* 1_000_000_000
    }
}
