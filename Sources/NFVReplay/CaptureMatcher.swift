import NFVIO
import NFVPacket

/// Packet equality for `CaptureComparison`: bytes first, dissected fields (cached) only when
/// fields are ignored and the bytes differ.
struct CaptureMatcher {
    let actual: [MemoryPort.Frame]
    let expected: [MemoryPort.Frame]
    let ignored: Set<String>
    let comparingTime: Bool
    var actualFields: [Int: [PacketField]] = [:]
    var expectedFields: [Int: [PacketField]] = [:]

    init(actual: [MemoryPort.Frame], expected: [MemoryPort.Frame], ignoring: [String], comparingTime: Bool) {
        self.actual = actual
        self.expected = expected
        self.ignored = Set(ignoring.map { $0.hasSuffix(".*") ? String($0.dropLast(2)) : $0 })
        self.comparingTime = comparingTime && !ignored.contains("frame.time") && !ignored.contains("frame")
    }

    func isIgnored(_ field: String) -> Bool {
        ignored.contains(field) || ignored.contains(String(field.prefix { $0 != "." }))
    }

    mutating func same(_ i: Int, _ j: Int) -> Bool {
        if comparingTime && actual[i].timestamp / 1000 != expected[j].timestamp / 1000 { return false }
        if actual[i].bytes == expected[j].bytes { return true }
        return ignored.isEmpty ? false : differences(i, j).isEmpty
    }

    /// The fields (not ignored) in which output packet `i` and expected packet `j` differ.
    mutating func differences(_ i: Int, _ j: Int) -> [CaptureDifference] {
        let left = fields(actual: i)
        let right = fields(expected: j)
        var found: [CaptureDifference] = []
        if comparingTime, actual[i].timestamp / 1000 != expected[j].timestamp / 1000 {
            found.append(
                CaptureDifference(
                    packetNumber: i + 1, field: "frame.time", actual: "\(actual[i].timestamp / 1000)",
                    expected: "\(expected[j].timestamp / 1000)"))
        }
        var rightValues: [String: String] = [:]
        for field in right { rightValues[field.name] = field.value }
        var seen = Set<String>()
        for field in left where !isIgnored(field.name) {
            seen.insert(field.name)
            let other = rightValues[field.name] ?? "(absent)"
            if other != field.value {
                found.append(
                    CaptureDifference(
                        packetNumber: i + 1, field: field.name, actual: field.value.isEmpty ? "(empty)" : field.value,
                        expected: other.isEmpty ? "(empty)" : other))
            }
        }
        for field in right where !isIgnored(field.name) && !seen.contains(field.name) {
            found.append(CaptureDifference(packetNumber: i + 1, field: field.name, actual: "(absent)", expected: field.value))
        }
        return found
    }

    mutating func fields(actual index: Int) -> [PacketField] {
        if let cached = actualFields[index] { return cached }
        let fields = PacketDissector.fields(of: actual[index].bytes)
        actualFields[index] = fields
        return fields
    }

    mutating func fields(expected index: Int) -> [PacketField] {
        if let cached = expectedFields[index] { return cached }
        let fields = PacketDissector.fields(of: expected[index].bytes)
        expectedFields[index] = fields
        return fields
    }
}
