/// Per-packet state that travels with a packet id through a batch: where the frame is, what
/// the parser found, where it came from and goes to, and the current verdict.
///
/// Offsets are relative to the first byte of the frame (the Ethernet destination address).
@frozen
public struct PacketMetadata: Sendable {
    /// The packet's slot in the pool.
    public var id: UInt32
    /// Symmetric hash of the flow key (A->B and B->A alike); set by the parser.
    public var flowHash: UInt32
    /// Capture or receive time, nanoseconds since the Unix epoch.
    public var timestamp: UInt64
    /// Where the frame starts inside its slot (room before it allows pushing headers).
    public var dataOffset: UInt16
    /// Frame length in bytes.
    public var length: UInt16
    /// Offset of the L3 header (after any VLAN tags).
    public var l3Offset: UInt16
    /// Offset of the L4 header; valid when `flags` contains `.hasL4`.
    public var l4Offset: UInt16
    /// The innermost EtherType (after VLAN tags).
    public var etherType: UInt16
    /// The outer VLAN ID when `flags` contains `.vlanTagged`.
    public var vlanID: UInt16
    /// The chain port the packet arrived on.
    public var inPort: UInt16
    /// The chain port the packet leaves on. Starts as the linear default (port 0 -> 1, any
    /// other port -> 0); forwarding stages (a router) change it.
    public var outPort: UInt16
    /// IPv4 protocol or final IPv6 next header (after extension headers).
    public var ipProtocol: UInt8
    /// What the parser established.
    public var flags: PacketFlags
    /// The current verdict.
    public var verdict: Verdict
    /// Why it was dropped, when `verdict == .drop`.
    public var dropReason: DropReason
    /// The service path the switch classified the packet into (0: none).
    public var path: UInt8
    /// Why the transport header cannot be used although the IP header is valid (a first
    /// fragment or a packet cut short inside its TCP, UDP or ICMP header: `truncated_tcp`,
    /// `bad_udp_length`, ...); `.none` otherwise. Such a packet is parsed to L3 only (no
    /// `hasL4`): a router forwards it as Linux does, a stage that needs its ports drops it with
    /// this reason.
    public var transportProblem: DropReason
    /// What the sender left unfinished: a partial transport checksum, a GSO super-frame
    /// (`PacketOffload`); zero for a plain frame.
    public var offload: PacketOffload
    /// Checksums a stage has verified and every stage since has kept right (incremental updates
    /// keep a right checksum right), so later stages need not sum them again.
    public var verifiedChecksums: VerifiedChecksums

    /// Metadata for a freshly received frame: nothing parsed, verdict forward, out port the
    /// linear default.
    @inlinable
    public init(id: UInt32, dataOffset: UInt16, length: UInt16, inPort: UInt16, timestamp: UInt64) {
        self.id = id
        self.flowHash = 0
        self.timestamp = timestamp
        self.dataOffset = dataOffset
        self.length = length
        self.l3Offset = 0
        self.l4Offset = 0
        self.etherType = 0
        self.vlanID = 0
        self.inPort = inPort
        self.outPort = inPort == 0 ? 1 : 0
        self.ipProtocol = 0
        self.flags = []
        self.verdict = .forward
        self.dropReason = .none
        self.path = 0
        self.transportProblem = .none
        self.offload = PacketOffload()
        self.verifiedChecksums = []
    }

    /// Whether the IPv4 header checksum of the packet at `frame` is right (RFC 1812 5.2.2),
    /// summed at most once per packet: the first stage to find it right marks the packet.
    @inlinable @inline(__always)
    public mutating func hasValidIPv4HeaderChecksum(_ frame: UnsafeMutableRawPointer) -> Bool {
        if verifiedChecksums.contains(.ipv4Header) { return true }
        guard IPv4Header(frame + Int(l3Offset)).isChecksumValid else { return false }
        verifiedChecksums.insert(.ipv4Header)
        return true
    }
}
