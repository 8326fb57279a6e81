import NFVPacket

/// What a flow matches: a value and a mask over `SwitchKey` (a bit set in the mask must equal
/// the value's bit; a clear bit is a wildcard). Fields are set whole or, where OpenFlow allows
/// it, with a mask (MAC addresses, IP prefixes).
public struct FlowMatch: Hashable, Sendable {
    public var value = SwitchKey()
    public var mask = SwitchKey()

    public init() {}

    /// True when `key` agrees with the match on every masked bit.
    @inlinable
    public func matches(_ key: SwitchKey) -> Bool { key.masked(by: mask) == value }

    /// OpenFlow's metadata under `bits`.
    public mutating func setMetadata(_ value: UInt64, mask bits: UInt64 = .max) {
        self.value.metadata = value & bits
        mask.metadata = bits
    }

    public mutating func setInPort(_ port: UInt16) {
        value.inPort = port
        mask.inPort = 0xFFFF
    }
    public mutating func setEthSrc(_ mac: UInt64, mask bits: UInt64 = 0xFFFF_FFFF_FFFF) {
        value.ethSrc = mac & bits
        mask.ethSrc = bits
    }
    public mutating func setEthDst(_ mac: UInt64, mask bits: UInt64 = 0xFFFF_FFFF_FFFF) {
        value.ethDst = mac & bits
        mask.ethDst = bits
    }
    public mutating func setEthType(_ type: UInt16) {
        value.ethType = type
        mask.ethType = 0xFFFF
    }
    /// `dl_vlan`: a VID (0...4095) on a tagged frame, or nil for "no 802.1Q tag" (0xffff).
    public mutating func setVLAN(_ vid: UInt16?) {
        value.vlanTCI = value.vlanTCI & 0xE000 | (vid.map { SwitchKey.vlanPresent | $0 & 0x0FFF } ?? 0)
        mask.vlanTCI |= 0x1FFF
    }
    /// `dl_vlan_pcp`: the priority of a tagged frame.
    public mutating func setVLANPCP(_ pcp: UInt8) {
        value.vlanTCI = value.vlanTCI & 0x0FFF | UInt16(pcp & 7) << 13 | SwitchKey.vlanPresent
        mask.vlanTCI |= 0xF000
    }
    public mutating func setIPProtocol(_ proto: UInt8) {
        value.ipProtocol = proto
        mask.ipProtocol = 0xFF
    }
    /// `nw_src` / `ipv6_src` with a prefix (IPv4 prefixes are IPv4-mapped, as in `IPPrefix`).
    public mutating func setIPSource(_ prefix: IPPrefix) {
        let bits = prefix.mask
        value.ipSource = IPv6Address(high: prefix.network.high & bits.high, low: prefix.network.low & bits.low)
        mask.ipSource = IPv6Address(high: bits.high, low: bits.low)
    }
    public mutating func setIPDestination(_ prefix: IPPrefix) {
        let bits = prefix.mask
        value.ipDestination = IPv6Address(high: prefix.network.high & bits.high, low: prefix.network.low & bits.low)
        mask.ipDestination = IPv6Address(high: bits.high, low: bits.low)
    }
    /// `tp_src` (or `icmp_type` for ICMP).
    public mutating func setTransportSource(_ port: UInt16, mask bits: UInt16 = 0xFFFF) {
        value.transportSource = port & bits
        mask.transportSource = bits
    }
    /// `tp_dst` (or `icmp_code` for ICMP).
    public mutating func setTransportDestination(_ port: UInt16, mask bits: UInt16 = 0xFFFF) {
        value.transportDestination = port & bits
        mask.transportDestination = bits
    }
}

extension FlowMatch {
    /// The match of the other direction of the same traffic: sources and destinations (MACs,
    /// IP addresses, transport ports) swapped, the in-port left out.
    public var reversed: FlowMatch {
        var match = self
        for key in [\FlowMatch.value, \FlowMatch.mask] {
            let original = self[keyPath: key]
            var swapped = original
            swapped.ethSrc = original.ethDst
            swapped.ethDst = original.ethSrc
            swapped.ipSource = original.ipDestination
            swapped.ipDestination = original.ipSource
            swapped.transportSource = original.transportDestination
            swapped.transportDestination = original.transportSource
            swapped.inPort = 0
            match[keyPath: key] = swapped
        }
        return match
    }
}
