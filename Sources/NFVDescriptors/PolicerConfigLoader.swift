import Foundation
import NFVQoS
import Yams

/// Reads and validates `kind: PolicerConfig` documents:
///
/// ```yaml
/// apiVersion: nfv/v1
/// kind: PolicerConfig
/// metadata: { name: edge-policer }
/// spec:
///   marker: trTCM                 # srTCM (RFC 2697), trTCM (RFC 2698), trTCM-4115 (RFC 4115)
///   unit: bits                    # bits: rates in bit/s (k, M, G), bursts in bytes; or packets
///   committed: { rate: 100M, burst: 1500000 }   # CIR, CBS
///   peak: { rate: 200M, burst: 3000000 }        # trTCM: PIR, PBS
///   # excess: { rate: 50M, burst: 1500000 }    # trTCM-4115: EIR, EBS; srTCM: { burst: EBS }
///   colourAware: false            # true: AFx1 green, AFx2 yellow, AFx3 red so far
///   actions: { green: pass, yellow: { dscp: 12 }, red: drop }
/// ```
///
/// Every mistake is reported at its line and column with a fix (a rate without a number, a
/// peak below the committed rate, a bucket a marker does not have).
public struct PolicerConfigLoader: Sendable {
    public init() {}

    public typealias Loaded = LoadedConfiguration<PolicerConfiguration>

    public func load(path: String) throws(DescriptorErrorList) -> Loaded {
        try parse(try VNFDocument.text(at: path), file: path)
    }

    public func parse(_ text: String, file: String) throws(DescriptorErrorList) -> Loaded {
        let (decoder, name, spec) = try VNFDocument.spec(
            text, file: file, kind: "PolicerConfig", allowed: ["marker", "unit", "committed", "peak", "excess", "colourAware", "actions"],
            required: ["marker", "committed"])
        var marker = PolicerConfiguration.Marker.singleRate
        if let node = spec["marker"],
            let value = decoder.choice(node, field: "spec.marker", choices: PolicerConfiguration.Marker.allCases.map(\.rawValue), what: "marker")
        {
            marker = PolicerConfiguration.Marker(rawValue: value)!
        }
        var unit = PolicerConfiguration.Unit.bits
        if let node = spec["unit"], let value = decoder.choice(node, field: "spec.unit", choices: ["bits", "packets"], what: "unit") {
            unit = PolicerConfiguration.Unit(rawValue: value)!
        }
        // Which second bucket each marker has, and whether it has a rate of its own.
        let (secondKey, other, secondHasRate): (String, String, Bool) =
            switch marker {
            case .singleRate: ("excess", "peak", false)
            case .twoRate: ("peak", "excess", true)
            case .twoRateExcess: ("excess", "peak", true)
            }
        if let node = spec[other] {
            decoder.report(
                node, field: "spec.\(other)", "a \(marker.rawValue) policer has no \(other) bucket",
                fix: "write its second bucket as \(secondKey):")
        }
        let committed = spec["committed"].flatMap { bucket($0, field: "spec.committed", unit: unit, needsRate: true, decoder: decoder) }
        var second: (rate: UInt64, burst: UInt64)?
        if let node = spec[secondKey] {
            second = bucket(node, field: "spec.\(secondKey)", unit: unit, needsRate: secondHasRate, decoder: decoder)
        } else if marker != .singleRate {
            decoder.report(
                spec["committed"]!, field: "spec.\(secondKey)", "a \(marker.rawValue) policer needs its \(secondKey) bucket",
                fix: "add \(secondKey): { rate: ..., burst: ... }")
        }
        if marker == .twoRate, let committed, let second, second.rate < committed.rate, let node = spec["peak"] {
            decoder.report(node, field: "spec.peak.rate", "the peak rate is below the committed rate", fix: "RFC 2698 asks PIR >= CIR")
        }
        let colourAware = spec["colourAware"].flatMap { decoder.boolean($0, field: "spec.colourAware") } ?? false
        var actions: [PacketColour: PolicerConfiguration.Action] = [.green: .pass, .yellow: .pass, .red: .drop]
        if let node = spec["actions"], let fields = decoder.mapping(node, field: "spec.actions", allowed: ["green", "yellow", "red"]) {
            for colour in PacketColour.allCases {
                guard let actionNode = fields[colour.name] else { continue }
                if let action = action(actionNode, field: "spec.actions.\(colour.name)", decoder: decoder) { actions[colour] = action }
            }
        }
        guard decoder.errors.isEmpty, let committed else { throw DescriptorErrorList(decoder.errors) }
        return Loaded(
            configuration: PolicerConfiguration(
                name: name, marker: marker, unit: unit, committedRate: committed.rate, committedBurst: committed.burst,
                secondRate: second?.rate ?? 0, secondBurst: second?.burst ?? 0, colourAware: colourAware, green: actions[.green]!,
                yellow: actions[.yellow]!, red: actions[.red]!),
            portReferences: [])
    }

    /// `{ rate, burst }`: a rate (bits with k/M/G, or packets) and a burst (bytes or packets).
    func bucket(
        _ node: Node, field: String, unit: PolicerConfiguration.Unit, needsRate: Bool, decoder: DescriptorDecoder
    ) -> (rate: UInt64, burst: UInt64)? {
        guard
            let fields = decoder.mapping(
                node, field: field, allowed: needsRate ? ["rate", "burst"] : ["burst"], required: needsRate ? ["rate", "burst"] : ["burst"])
        else { return nil }
        var rate: UInt64 = 0
        if needsRate, let rateNode = fields["rate"], let text = decoder.string(rateNode, field: "\(field).rate") {
            if let value = Self.rate(text, unit: unit), value > 0 {
                rate = value
            } else {
                decoder.report(
                    rateNode, field: "\(field).rate", "\"\(text)\" is not a rate",
                    fix: unit == .bits ? "write bits per second, such as 100M, 1500k or 2G" : "write packets per second, such as 10000")
                return nil
            }
        }
        guard let burstNode = fields["burst"], let burst = decoder.integer(burstNode, field: "\(field).burst", range: 1...1_000_000_000) else {
            return nil
        }
        if unit == .bits && burst < 64 {
            decoder.report(
                burstNode, field: "\(field).burst", "a burst of \(burst) bytes holds no frame", fix: "use at least one frame, 1518 bytes or more")
        }
        return (rate, UInt64(burst))
    }

    /// A rate in bits (k, M, G: thousands, millions, billions) or packets per second.
    static func rate(_ text: String, unit: PolicerConfiguration.Unit) -> UInt64? {
        let scales: [Character: UInt64] = ["k": 1_000, "K": 1_000, "M": 1_000_000, "G": 1_000_000_000]
        var digits = text.hasSuffix("bit") ? String(text.dropLast(3)) : text
        var scale: UInt64 = 1
        if unit == .bits, let last = digits.last, let factor = scales[last] {
            scale = factor
            digits.removeLast()
        }
        guard let value = UInt64(digits), !value.multipliedReportingOverflow(by: scale).overflow else { return nil }
        return value * scale
    }

    /// `pass`, `drop`, or `{ dscp: N }`.
    func action(_ node: Node, field: String, decoder: DescriptorDecoder) -> PolicerConfiguration.Action? {
        if case .mapping = node {
            guard let fields = decoder.mapping(node, field: field, allowed: ["dscp"], required: ["dscp"]), let dscpNode = fields["dscp"],
                let dscp = decoder.integer(dscpNode, field: "\(field).dscp", range: 0...63)
            else { return nil }
            return .markDSCP(UInt8(dscp))
        }
        guard let text = decoder.choice(node, field: field, choices: ["pass", "drop"], what: "action") else { return nil }
        return text == "drop" ? .drop : .pass
    }
}
