/// Where a tracked connection is in its life. TCP follows netfilter's conntrack states; UDP,
/// ICMP queries and other protocols are pseudo-connections that only know whether a reply
/// has been seen.
@frozen
public enum ConnectionState: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case tcpSynSent
    case tcpSynReceived
    case tcpEstablished
    case tcpFinWait
    case tcpCloseWait
    case tcpLastAck
    case tcpTimeWait
    case tcpClose
    case udpUnreplied
    case udpReplied
    case icmpRequested
    case icmpReplied
    case otherUnreplied
    case otherReplied

    /// True once the connection has proved two-way (netfilter's "assured"): such entries are
    /// never evicted to make room for new ones.
    @inlinable
    public var isAssured: Bool {
        switch self {
        case .tcpEstablished, .tcpFinWait, .tcpCloseWait, .tcpLastAck, .udpReplied, .icmpReplied, .otherReplied: true
        default: false
        }
    }

    /// netfilter's name for the state (`ESTABLISHED`, `SYN_SENT`, ...).
    public var description: String {
        switch self {
        case .none: "NONE"
        case .tcpSynSent: "SYN_SENT"
        case .tcpSynReceived: "SYN_RECV"
        case .tcpEstablished: "ESTABLISHED"
        case .tcpFinWait: "FIN_WAIT"
        case .tcpCloseWait: "CLOSE_WAIT"
        case .tcpLastAck: "LAST_ACK"
        case .tcpTimeWait: "TIME_WAIT"
        case .tcpClose: "CLOSE"
        case .udpUnreplied: "UDP_UNREPLIED"
        case .udpReplied: "UDP_REPLIED"
        case .icmpRequested: "ICMP_REQUESTED"
        case .icmpReplied: "ICMP_REPLIED"
        case .otherUnreplied: "UNREPLIED"
        case .otherReplied: "REPLIED"
        }
    }
}
