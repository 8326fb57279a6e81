import NFVFlow
import NFVPacket
import Testing

@Suite struct TCPStateMachineTests {
    typealias Segment = (flags: TCPFlags, original: Bool)

    static func walk(_ segments: [Segment]) -> [String] {
        var state = ConnectionState.tcpSynSent
        var finFromOrigin = false
        var trail: [String] = []
        for segment in segments.dropFirst() {
            let step = TCPStateMachine.next(state, flags: segment.flags, isOriginal: segment.original, finFromOrigin: finFromOrigin)
            if step.isValid {
                if step.state == .tcpFinWait && state != .tcpFinWait { finFromOrigin = segment.original }
                state = step.state
                trail.append("\(state)")
            } else {
                trail.append("INVALID")
            }
        }
        return trail
    }

    @Test func handshakeDataAndActiveCloseByTheClient() {
        let trail = Self.walk([
            ([.syn], true), ([.syn, .ack], false), ([.ack], true), ([.psh, .ack], true),
            ([.ack], false), ([.fin, .ack], true), ([.ack], false), ([.fin, .ack], false), ([.ack], true),
        ])
        #expect(trail == ["SYN_RECV", "ESTABLISHED", "ESTABLISHED", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT"])
    }

    @Test func closeByTheServerAndSimultaneousFins() {
        #expect(
            Self.walk([([.syn], true), ([.syn, .ack], false), ([.ack], true), ([.fin, .ack], false), ([.fin, .ack], true), ([.ack], false)])
                == ["SYN_RECV", "ESTABLISHED", "FIN_WAIT", "LAST_ACK", "TIME_WAIT"])
    }

    @Test func segmentsThatDoNotFitAreInvalid() {
        // Data from the client before the SYN/ACK; a SYN/ACK from the client; a SYN on an
        // established connection.
        #expect(Self.walk([([.syn], true), ([.ack], true)]) == ["INVALID"])
        #expect(Self.walk([([.syn], true), ([.syn, .ack], true)]) == ["INVALID"])
        #expect(
            Self.walk([([.syn], true), ([.syn, .ack], false), ([.ack], true), ([.syn], true)])
                == ["SYN_RECV", "ESTABLISHED", "INVALID"])
        #expect(Self.walk([([.syn], true), ([.syn, .fin], false)]) == ["INVALID"])
    }

    @Test func resetClosesAndASynReopensTimeWait() {
        #expect(
            Self.walk([([.syn], true), ([.syn, .ack], false), ([.ack], true), ([.rst], false)])
                == ["SYN_RECV", "ESTABLISHED", "CLOSE"])
        let step = TCPStateMachine.next(.tcpTimeWait, flags: [.syn], isOriginal: false, finFromOrigin: true)
        #expect(step == TCPStateMachine.Step(state: .tcpSynSent, isValid: true, reopens: true))
        #expect(TCPStateMachine.opens([.syn]) && !TCPStateMachine.opens([.syn, .ack]) && !TCPStateMachine.opens([.ack]))
    }
}
