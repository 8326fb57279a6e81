import NFVPacket

/// TCP connection-state transitions in the spirit of netfilter's tcp_conntracks table.
///
/// Sequence numbers are not checked (netfilter's window tracking is not modelled): a packet is
/// INVALID when its flags do not fit the state, e.g. data before the handshake completed,
/// a SYN/ACK in the opening direction, a second SYN on an established connection.
public enum TCPStateMachine {
    /// The result of applying one segment.
    public struct Step: Equatable, Sendable {
        /// The state after the segment.
        public var state: ConnectionState
        /// False when the segment does not fit the state (INVALID); the state is unchanged then.
        public var isValid: Bool
        /// True when the segment is a SYN that opens a new connection over an old one in
        /// TIME_WAIT or CLOSE.
        public var reopens: Bool

        /// A step to `state`.
        @inlinable
        public init(state: ConnectionState, isValid: Bool, reopens: Bool) {
            self.state = state
            self.isValid = isValid
            self.reopens = reopens
        }
    }

    /// True for a segment that may open a connection: SYN without ACK, RST or FIN.
    @inlinable
    public static func opens(_ flags: TCPFlags) -> Bool {
        flags.intersection([.syn, .ack, .rst, .fin]) == .syn
    }

    /// The state after a segment with `flags` travelling in the original direction (from the
    /// opener) or the reply direction. `finFromOrigin` says who sent the first FIN (in
    /// FIN_WAIT and later).
    @inlinable
    public static func next(_ state: ConnectionState, flags: TCPFlags, isOriginal: Bool, finFromOrigin: Bool) -> Step {
        func go(_ next: ConnectionState) -> Step { Step(state: next, isValid: true, reopens: false) }
        let invalid = Step(state: state, isValid: false, reopens: false)
        let syn = flags.contains(.syn) && !flags.contains(.ack)
        let synAck = flags.contains(.syn) && flags.contains(.ack)
        if flags.contains(.rst) {
            return state == .tcpSynSent && isOriginal ? invalid : go(.tcpClose)
        }
        if flags.contains(.syn) && (flags.contains(.fin) || flags.contains(.rst)) { return invalid }
        // Is this segment from the side that sent the first FIN?
        let fromFinSender = isOriginal == finFromOrigin
        switch state {
        case .tcpSynSent:
            if syn && isOriginal { return go(.tcpSynSent) }
            if synAck && !isOriginal { return go(.tcpSynReceived) }
            if syn && !isOriginal { return go(.tcpSynReceived) }  // simultaneous open
            return invalid
        case .tcpSynReceived:
            if synAck && !isOriginal { return go(.tcpSynReceived) }
            if syn && isOriginal { return go(.tcpSynReceived) }
            if isOriginal && flags.contains(.fin) { return go(.tcpFinWait) }
            if isOriginal && flags.contains(.ack) { return go(.tcpEstablished) }
            return invalid
        case .tcpEstablished:
            if syn { return invalid }
            if synAck { return isOriginal ? invalid : go(.tcpEstablished) }  // retransmitted SYN/ACK
            if flags.contains(.fin) { return go(.tcpFinWait) }
            return go(.tcpEstablished)
        case .tcpFinWait:
            if flags.contains(.syn) { return invalid }
            if fromFinSender { return go(.tcpFinWait) }
            if flags.contains(.fin) { return go(.tcpLastAck) }
            if flags.contains(.ack) { return go(.tcpCloseWait) }
            return go(.tcpFinWait)
        case .tcpCloseWait:
            if flags.contains(.syn) { return invalid }
            if !fromFinSender && flags.contains(.fin) { return go(.tcpLastAck) }
            return go(.tcpCloseWait)
        case .tcpLastAck:
            if flags.contains(.syn) { return invalid }
            if fromFinSender && flags.contains(.ack) && !flags.contains(.fin) { return go(.tcpTimeWait) }
            return go(.tcpLastAck)
        case .tcpTimeWait, .tcpClose:
            if syn { return Step(state: .tcpSynSent, isValid: true, reopens: true) }
            if state == .tcpTimeWait && !flags.contains(.syn) { return go(.tcpTimeWait) }
            return invalid
        default:
            return invalid
        }
    }
}
