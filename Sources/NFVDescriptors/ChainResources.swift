import Foundation

/// `spec.resources`: what a chain's data plane may use. The data plane runs in a cgroup of its
/// own with these limits (cgroup v1 `cpu`, `cpuset` and `memory` controllers, or cgroup v2,
/// whichever the host mounts), so one chain cannot take another's CPU or memory.
public struct ChainResources: Sendable, Equatable {
    /// CPU time per scheduling period, in CPUs (`0.5`: half of one CPU, `1.5`: one and a half);
    /// nil: no limit.
    public var cpus: Double?
    /// The memory limit in bytes (`256Mi`); nil: none. The data plane refuses to start when its
    /// packet pools and tables would not fit.
    public var memoryBytes: UInt64?
    /// The CPUs the data plane may run on (`[1]`); nil: any.
    public var cpuSet: [Int]?
    /// Where `spec.resources` is written.
    public var location: SourceLocation

    public init(cpus: Double? = nil, memoryBytes: UInt64? = nil, cpuSet: [Int]? = nil, location: SourceLocation) {
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.cpuSet = cpuSet
        self.location = location
    }

    /// True when the limits are the same, wherever they were written.
    public func hasSameLimits(as other: ChainResources) -> Bool {
        cpus == other.cpus && memoryBytes == other.memoryBytes && cpuSet == other.cpuSet
    }

    /// Bytes in a Kubernetes-style quantity: a whole number with an optional suffix, binary
    /// (`Ki`, `Mi`, `Gi`, `Ti`) or decimal (`k`, `M`, `G`, `T`); nil when it is not one.
    public static func byteCount(_ text: String) -> UInt64? {
        let suffixes: [(String, UInt64)] = [
            ("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40),
            ("k", 1_000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000),
        ]
        var digits = Substring(text)
        var scale: UInt64 = 1
        if let (suffix, value) = suffixes.first(where: { text.hasSuffix($0.0) }) {
            digits = digits.dropLast(suffix.count)
            scale = value
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = UInt64(digits) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }

    /// `bytes` the way an operator writes it back: `256Mi`, `1.5Gi`, `300k`.
    public static func describe(bytes: UInt64) -> String {
        for (suffix, scale) in [("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] as [(String, UInt64)]
        where bytes >= scale {
            let value = Double(bytes) / Double(scale)
            let text = value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
            return text + suffix
        }
        return "\(bytes)"
    }
}
