import NFVPacket

/// The header fields a switch flow can match, packed into seven 64-bit words so a masked
/// compare is seven ANDs and a hash is four multiplies (the "miniflow" idea of Open vSwitch, with
/// a fixed layout):
///
/// | word | bits |
/// |---|---|
/// | 0 | eth_dst (48) · in_port (16) |
/// | 1 | eth_src (48) · eth_type (16) |
/// | 2 | vlan_tci (16: PCP 3, CFI/present 1, VID 12) · ip_proto (8) · tp_src (16) · tp_dst (16) |
/// | 3, 4 | IP source (IPv4 as ::ffff:a.b.c.d) |
/// | 5, 6 | IP destination |
///
/// ICMP type and code are carried as tp_src and tp_dst, as in OpenFlow 1.0 and Open vSwitch.
/// A frame without an 802.1Q tag has vlan_tci 0; a tagged one has the present bit (0x1000) set.
///
/// OpenFlow's metadata register rides beside the words: 0 when a packet arrives, set by
/// write_metadata for the later tables. It joins the hash only when not 0, so keys without it
/// (table 0, every switch without a controller) hash as before.
public struct SwitchKey: Hashable, Sendable {
    public var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    public var metadata: UInt64

    public init() {
        words = (0, 0, 0, 0, 0, 0, 0)
        metadata = 0
    }

    public static func == (lhs: SwitchKey, rhs: SwitchKey) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3 && lhs.words.4 == rhs.words.4 && lhs.words.5 == rhs.words.5
            && lhs.words.6 == rhs.words.6 && lhs.metadata == rhs.metadata
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(hash(with: .process)) }

    /// The keyed hash of the seven words (for the switch's own tables): the words are folded
    /// in a chain, each step a full-width multiply keyed by `hasher`, so every bit of every
    /// field reaches the low bits.
    @inlinable @inline(__always)
    public func hash(with hasher: TableHash) -> UInt64 {
        var hash = TableHash.fold(words.0 ^ hasher.k0, words.1 ^ hasher.k1)
        hash = TableHash.fold(words.2 ^ hasher.k2, words.3 ^ hash)
        hash = TableHash.fold(words.4 ^ hasher.k3, words.5 ^ hash)
        hash = TableHash.fold(hash ^ hasher.k0, words.6 ^ hasher.k4)
        return metadata == 0 ? hash : TableHash.fold(hash ^ hasher.k1, metadata ^ hasher.k2)
    }

    /// The key with every bit outside `mask` cleared.
    @inlinable
    public func masked(by mask: SwitchKey) -> SwitchKey {
        var result = SwitchKey()
        result.words = (
            words.0 & mask.words.0, words.1 & mask.words.1, words.2 & mask.words.2, words.3 & mask.words.3,
            words.4 & mask.words.4, words.5 & mask.words.5, words.6 & mask.words.6
        )
        result.metadata = metadata & mask.metadata
        return result
    }

    // MARK: fields

    public var inPort: UInt16 {
        get { UInt16(truncatingIfNeeded: words.0) }
        set { words.0 = words.0 & ~0xFFFF | UInt64(newValue) }
    }
    public var ethDst: UInt64 {
        get { words.0 >> 16 }
        set { words.0 = words.0 & 0xFFFF | (newValue & 0xFFFF_FFFF_FFFF) << 16 }
    }
    public var ethType: UInt16 {
        get { UInt16(truncatingIfNeeded: words.1) }
        set { words.1 = words.1 & ~0xFFFF | UInt64(newValue) }
    }
    public var ethSrc: UInt64 {
        get { words.1 >> 16 }
        set { words.1 = words.1 & 0xFFFF | (newValue & 0xFFFF_FFFF_FFFF) << 16 }
    }
    public var vlanTCI: UInt16 {
        get { UInt16(truncatingIfNeeded: words.2 >> 48) }
        set { words.2 = words.2 & 0x0000_FFFF_FFFF_FFFF | UInt64(newValue) << 48 }
    }
    public var ipProtocol: UInt8 {
        get { UInt8(truncatingIfNeeded: words.2 >> 40) }
        set { words.2 = words.2 & ~(0xFF << 40) | UInt64(newValue) << 40 }
    }
    public var transportSource: UInt16 {
        get { UInt16(truncatingIfNeeded: words.2 >> 24) }
        set { words.2 = words.2 & ~(0xFFFF << 24) | UInt64(newValue) << 24 }
    }
    public var transportDestination: UInt16 {
        get { UInt16(truncatingIfNeeded: words.2 >> 8) }
        set { words.2 = words.2 & ~(0xFFFF << 8) | UInt64(newValue) << 8 }
    }
    public var ipSource: IPv6Address {
        get { IPv6Address(high: words.3, low: words.4) }
        set {
            words.3 = newValue.high
            words.4 = newValue.low
        }
    }
    public var ipDestination: IPv6Address {
        get { IPv6Address(high: words.5, low: words.6) }
        set {
            words.5 = newValue.high
            words.6 = newValue.low
        }
    }

    /// The VLAN present bit of vlan_tci.
    public static let vlanPresent: UInt16 = 0x1000

    /// The key of a parsed frame arriving on `inPort`.
    @inlinable @inline(__always)
    public init(frame: UnsafeMutableRawPointer, metadata: PacketMetadata) {
        self.init()
        let flags = metadata.flags
        let ethernet = EthernetHeader(frame)
        words.0 = ethernet.destination.rawValue << 16 | UInt64(metadata.inPort)
        words.1 = ethernet.source.rawValue << 16 | UInt64(metadata.etherType)
        var word2: UInt64 = 0
        if flags.contains(.vlanTagged) {
            let tci = frame.loadNetworkUInt16(at: 14)
            word2 = UInt64(tci & 0xEFFF | Self.vlanPresent) << 48
        }
        if flags.contains(.ipv4) {
            let l3 = Int(metadata.l3Offset)
            words.4 = 0xFFFF_0000_0000 | UInt64(frame.loadNetworkUInt32(at: l3 &+ 12))
            words.6 = 0xFFFF_0000_0000 | UInt64(frame.loadNetworkUInt32(at: l3 &+ 16))
        } else if flags.contains(.ipv6) {
            let l3 = Int(metadata.l3Offset)
            words.3 = frame.loadNetworkUInt64(at: l3 &+ 8)
            words.4 = frame.loadNetworkUInt64(at: l3 &+ 16)
            words.5 = frame.loadNetworkUInt64(at: l3 &+ 24)
            words.6 = frame.loadNetworkUInt64(at: l3 &+ 32)
        }
        if flags.contains(.ipv4) || flags.contains(.ipv6) {
            let ipProtocol = metadata.ipProtocol
            word2 |= UInt64(ipProtocol) << 40
            if flags.contains(.hasL4) {
                let l4 = Int(metadata.l4Offset)
                if ipProtocol == IPProtocol.tcp || ipProtocol == IPProtocol.udp || ipProtocol == IPProtocol.sctp {
                    word2 |= UInt64(frame.loadNetworkUInt16(at: l4)) << 24 | UInt64(frame.loadNetworkUInt16(at: l4 &+ 2)) << 8
                } else if ipProtocol == IPProtocol.icmp || ipProtocol == IPProtocol.icmpv6 {
                    word2 |= UInt64(frame.loadByte(at: l4)) << 24 | UInt64(frame.loadByte(at: l4 &+ 1)) << 8
                }
            }
        }
        words.2 = word2
    }
}
