import NFVIO
import NFVPacket

/// The field-by-field comparison of an output capture with an expected one.
///
/// Packets are compared in order. Each is dissected (`PacketDissector`) into named fields that
/// cover every byte, plus `frame.time` (microseconds); fields listed in `ignoring` are skipped.
/// An ignore entry is a field name (`ipv4.id`) or a layer (`ipv4` or `ipv4.*`).
public struct CaptureComparison: Sendable {
    /// Packets in the output.
    public var actualCount: Int
    /// Packets in the expected capture.
    public var expectedCount: Int
    /// Every difference found, in packet order.
    public var differences: [CaptureDifference]
    /// How many packets differ.
    public var differingPacketCount: Int

    /// True when both captures hold the same packets (up to ignored fields).
    public var matches: Bool { differences.isEmpty }

    /// Compares `actual` with `expected`.
    public init(actual: [MemoryPort.Frame], expected: [MemoryPort.Frame], ignoring: [String] = []) {
        actualCount = actual.count
        expectedCount = expected.count
        differences = []
        differingPacketCount = 0
        let ignored = Set(ignoring.map { $0.hasSuffix(".*") ? String($0.dropLast(2)) : $0 })
        func isIgnored(_ field: String) -> Bool {
            ignored.contains(field) || ignored.contains(String(field.prefix { $0 != "." }))
        }
        for index in 0..<max(actual.count, expected.count) {
            guard index < actual.count, index < expected.count else {
                let present = index < actual.count ? "present" : "missing"
                let wanted = index < expected.count ? "present" : "missing"
                differences.append(
                    CaptureDifference(
                        packetNumber: index + 1, field: "packet",
                        actual: present, expected: wanted))
                differingPacketCount += 1
                continue
            }
            let left = Self.fields(of: actual[index])
            let right = Self.fields(of: expected[index])
            var found = false
            var rightValues: [String: String] = [:]
            for field in right { rightValues[field.name] = field.value }
            var seen = Set<String>()
            for field in left where !isIgnored(field.name) {
                seen.insert(field.name)
                let other = rightValues[field.name] ?? "(absent)"
                if other != field.value {
                    differences.append(
                        CaptureDifference(
                            packetNumber: index + 1, field: field.name,
                            actual: field.value.isEmpty ? "(empty)" : field.value,
                            expected: other.isEmpty ? "(empty)" : other))
                    found = true
                }
            }
            for field in right where !isIgnored(field.name) && !seen.contains(field.name) {
                differences.append(
                    CaptureDifference(
                        packetNumber: index + 1, field: field.name,
                        actual: "(absent)", expected: field.value))
                found = true
            }
            if found { differingPacketCount += 1 }
        }
    }

    /// Compares the capture files at `actualPath` and `expectedPath`.
    public init(actualPath: String, expectedPath: String, ignoring: [String] = []) throws(ReplayError) {
        do {
            self.init(
                actual: try PcapFileSource.readAll(path: actualPath),
                expected: try PcapFileSource.readAll(path: expectedPath), ignoring: ignoring)
        } catch {
            throw ReplayError("cannot compare captures: \(error)")
        }
    }

    static func fields(of frame: MemoryPort.Frame) -> [PacketField] {
        [PacketField("frame.time", "\(frame.timestamp / 1000)")] + PacketDissector.fields(of: frame.bytes)
    }

    /// A summary for a terminal: a match line, or the first differing packets with their fields.
    public func text(expectedPath: String, maximumPackets: Int = 10) -> String {
        if matches { return "output matches \(expectedPath): \(actualCount) packets" }
        var lines = [
            "output differs from \(expectedPath): \(differingPacketCount) of \(max(actualCount, expectedCount)) "
                + "packets differ (output has \(actualCount) packets, expected \(expectedCount)); values are output != expected"
        ]
        var packets = 0
        var lastPacket = 0
        for difference in differences {
            if difference.packetNumber != lastPacket {
                packets += 1
                lastPacket = difference.packetNumber
                if packets > maximumPackets {
                    lines.append("... \(differingPacketCount - maximumPackets) more differing packets")
                    break
                }
            }
            lines.append(difference.description)
        }
        return lines.joined(separator: "\n")
    }
}
