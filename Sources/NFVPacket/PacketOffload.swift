/// What the sender left for the receiver to finish, as a TAP with `IFF_VNET_HDR` reports it in
/// the virtio-net header (`VirtioNetHeader`): a transport checksum that is only partial, and
/// whether the packet is a GSO super-frame (one TCP or UDP packet of up to 64 KiB standing for
/// many segments of `segmentSize` payload bytes each).
///
/// Zero (`PacketOffload()`) means a plain frame with complete checksums. The parse stage checks
/// a received offload against the headers it finds and finishes in software what it cannot
/// trust, so that after parsing a partial checksum always sits at `l4Offset` (offset 16 for
/// TCP, 6 for UDP) and holds the pseudo-header sum, not complemented, as in Linux's
/// CHECKSUM_PARTIAL. Stages that change addresses update that sum
/// (`EndpointRewrite`); ports finish it, or segment the super-frame in software
/// (`SoftwareSegmentation`), where the receiver does not take offloads.
@frozen
public struct PacketOffload: Sendable, Equatable {
    /// Payload bytes per segment (virtio `gso_size`); 0 when the packet is not a super-frame.
    public var segmentSize: UInt16
    /// Where the partial checksum's coverage starts (`csum_start`), from the frame's first byte,
    /// as received; the parse stage checks it against `l4Offset`.
    public var checksumStart: UInt16
    /// Where the checksum field is inside that coverage (`csum_offset`), as received.
    public var checksumOffset: UInt16
    /// How the super-frame is to be cut (`none` unless `segmentSize > 0`).
    public var segmentation: Segmentation
    /// Partial checksum and ECN marks.
    public var flags: Flags

    /// A plain frame: complete checksums, not a super-frame.
    @inlinable
    public init() {
        segmentSize = 0
        checksumStart = 0
        checksumOffset = 0
        segmentation = .none
        flags = []
    }

    /// An offload with the given parts.
    @inlinable
    public init(segmentation: Segmentation, segmentSize: UInt16, checksumStart: UInt16, checksumOffset: UInt16, flags: Flags) {
        self.segmentation = segmentation
        self.segmentSize = segmentSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
        self.flags = flags
    }

    /// How a super-frame is segmented (the virtio `gso_type` values, without the ECN bit).
    @frozen
    public enum Segmentation: UInt8, Sendable {
        /// Not a super-frame.
        case none = 0
        /// TCP over IPv4 (TSO4).
        case tcpIPv4 = 1
        /// TCP over IPv6 (TSO6).
        case tcpIPv6 = 4
        /// UDP segmentation (USO): every segment is a datagram of its own with its own UDP header.
        case udp = 5
    }

    /// Offload marks.
    @frozen
    public struct Flags: OptionSet, Sendable {
        public var rawValue: UInt8
        @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// The transport checksum holds only the pseudo-header sum (virtio NEEDS_CSUM).
        @inlinable public static var checksumPartial: Flags { Flags(rawValue: 1 << 0) }
        /// The TCP super-frame had CWR set for ECN (virtio GSO_ECN): only its first segment keeps it.
        @inlinable public static var explicitCongestion: Flags { Flags(rawValue: 1 << 1) }
    }

    /// True for a plain frame (nothing to finish): the common case, one compare.
    @inlinable
    public var isNone: Bool { segmentSize == 0 && flags.rawValue == 0 }

    /// True when the transport checksum is partial.
    @inlinable
    public var isChecksumPartial: Bool { flags.contains(.checksumPartial) }

    /// True when the packet is a super-frame.
    @inlinable
    public var isSuperFrame: Bool { segmentSize != 0 }
}
