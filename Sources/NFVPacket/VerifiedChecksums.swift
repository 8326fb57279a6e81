/// Checksums of a packet that a stage verified (`PacketMetadata.verifiedChecksums`). A stage
/// that rewrites a verified header updates its checksum incrementally (RFC 1624), which keeps
/// it right; one that rewrites it any other way clears the mark.
@frozen
public struct VerifiedChecksums: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The IPv4 header checksum.
    @inlinable public static var ipv4Header: VerifiedChecksums { VerifiedChecksums(rawValue: 1 << 0) }
}
