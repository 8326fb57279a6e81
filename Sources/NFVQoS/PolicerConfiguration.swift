import NFVPacket

/// A policer's configuration (`kind: PolicerConfig`): a three-colour marker (RFC 2697, 2698 or
/// 4115) in bits or packets per second, colour-blind or colour-aware, and what happens to each
/// colour (pass, drop, or mark a DSCP).
public struct PolicerConfiguration: Sendable, Equatable {
    public enum Marker: String, Sendable, Equatable, CaseIterable {
        /// RFC 2697, single rate three colour: CIR, CBS, EBS.
        case singleRate = "srTCM"
        /// RFC 2698, two rate three colour: CIR, CBS, PIR, PBS.
        case twoRate = "trTCM"
        /// RFC 4115, two rate with an excess bucket: CIR, CBS, EIR, EBS.
        case twoRateExcess = "trTCM-4115"
    }

    public enum Unit: String, Sendable, Equatable {
        /// Rates in bits per second, bursts in bytes (a frame counts with its Ethernet header).
        case bits
        /// Rates in packets per second, bursts in packets.
        case packets
    }

    /// What a colour does to a packet.
    public enum Action: Sendable, Equatable {
        case pass
        case drop
        /// Set the DSCP (0 to 63) and pass.
        case markDSCP(UInt8)
    }

    public var name: String
    public var marker: Marker
    public var unit: Unit
    /// Committed rate (CIR) and burst (CBS).
    public var committedRate: UInt64
    public var committedBurst: UInt64
    /// The second bucket: EBS alone for srTCM; PIR and PBS for trTCM; EIR and EBS for RFC 4115.
    public var secondRate: UInt64
    public var secondBurst: UInt64
    /// Colour-aware: a packet's DSCP gives its colour so far (`precolours`); else colour-blind.
    public var colourAware: Bool
    /// DSCP → colour for colour-aware policing; a DSCP not listed is green. The default is
    /// RFC 2597's assured forwarding: AFx1 green, AFx2 yellow, AFx3 red.
    public var precolours: [UInt8: PacketColour]
    public var green: Action
    public var yellow: Action
    public var red: Action
    /// Only packets that entered the chain on this port are policed (a `qos:` section's
    /// direction); nil: every packet that reaches the stage.
    public var ingressPort: UInt16?

    public static let assuredForwarding: [UInt8: PacketColour] = [
        10: .green, 12: .yellow, 14: .red,  // AF11, AF12, AF13
        18: .green, 20: .yellow, 22: .red,  // AF21 ...
        26: .green, 28: .yellow, 30: .red,
        34: .green, 36: .yellow, 38: .red,
    ]

    public init(
        name: String, marker: Marker, unit: Unit = .bits, committedRate: UInt64, committedBurst: UInt64, secondRate: UInt64 = 0,
        secondBurst: UInt64, colourAware: Bool = false, precolours: [UInt8: PacketColour] = PolicerConfiguration.assuredForwarding,
        green: Action = .pass, yellow: Action = .pass, red: Action = .drop
    ) {
        self.name = name
        self.marker = marker
        self.unit = unit
        self.committedRate = committedRate
        self.committedBurst = committedBurst
        self.secondRate = secondRate
        self.secondBurst = secondBurst
        self.colourAware = colourAware
        self.precolours = precolours
        self.green = green
        self.yellow = yellow
        self.red = red
    }

    /// The marker's algorithm, in the marker's units (bytes per second from bits per second).
    public var algorithm: ThreeColourMarker.Algorithm {
        let rate = { (value: UInt64) in self.unit == .bits ? value / 8 : value }
        switch marker {
        case .singleRate: return .singleRate(cir: rate(committedRate), cbs: committedBurst, ebs: secondBurst)
        case .twoRate: return .twoRate(cir: rate(committedRate), cbs: committedBurst, pir: rate(secondRate), pbs: secondBurst)
        case .twoRateExcess: return .twoRateExcess(cir: rate(committedRate), cbs: committedBurst, eir: rate(secondRate), ebs: secondBurst)
        }
    }

    /// The action for `colour`.
    public func action(for colour: PacketColour) -> Action {
        switch colour {
        case .green: green
        case .yellow: yellow
        case .red: red
        }
    }
}
