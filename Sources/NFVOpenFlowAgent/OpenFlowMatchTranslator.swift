import NFVOpenFlow
import NFVPacket
import NFVSwitch

/// OXM matches to the switch's `FlowMatch` and back. OpenFlow port numbers are chain port
/// numbers plus one (OpenFlow has no port 0). Fields the switch key does not hold are
/// OFPBMC_BAD_FIELD; a field whose prerequisite (OpenFlow 1.3.5, table 12) is missing is
/// OFPBMC_BAD_PREREQ; a field given twice, OFPBMC_DUP_FIELD. TCP and UDP ports take masks, as
/// in Open vSwitch.
public enum OpenFlowMatchTranslator {
    /// OFPET_BAD_MATCH and its codes.
    static let badMatch: UInt16 = 4
    static func matchError(_ code: UInt16) -> OpenFlowError { OpenFlowError(type: badMatch, code: code) }

    /// Field number → (value length, maskable) for the fields the switch key holds.
    static let supported: [UInt8: (length: Int, maskable: Bool)] = [
        0: (4, false), 2: (8, true), 3: (6, true), 4: (6, true), 5: (2, false), 6: (2, true), 7: (1, false), 10: (1, false), 11: (4, true),
        12: (4, true), 13: (2, true), 14: (2, true), 15: (2, true), 16: (2, true), 19: (1, false), 20: (1, false), 26: (16, true),
        27: (16, true), 29: (1, false), 30: (1, false),
    ]

    /// The switch match for `match`, chain ports from OpenFlow numbers (`ports`: the switch's
    /// chain ports).
    public static func flowMatch(_ match: OpenFlowMatch, ports: Set<UInt16>) throws(OpenFlowError) -> FlowMatch {
        var result = FlowMatch()
        var seen: [UInt8: UInt64] = [:]
        for field in match.fields {
            guard field.oxmClass == OXMField.basic, let shape = supported[field.field] else { throw matchError(6) }  // BAD_FIELD
            guard seen[field.field] == nil else { throw matchError(10) }  // DUP_FIELD
            guard field.value.count == shape.length else { throw matchError(1) }  // BAD_LEN
            if let mask = field.mask {
                guard shape.maskable else { throw matchError(8) }  // BAD_MASK
                guard mask.count == shape.length else { throw matchError(1) }
            }
            seen[field.field] = field.integer
            let value = field.integer
            let mask = field.mask.map { bytes in bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
            switch field.field {
            case 0:
                guard value >= 1, value <= UInt64(UInt16.max), ports.contains(UInt16(value - 1)) else { throw matchError(7) }  // BAD_VALUE
                result.setInPort(UInt16(value - 1))
            case 2: result.setMetadata(value, mask: mask ?? .max)
            case 3: result.setEthDst(value, mask: mask ?? 0xFFFF_FFFF_FFFF)
            case 4: result.setEthSrc(value, mask: mask ?? 0xFFFF_FFFF_FFFF)
            case 5: result.setEthType(UInt16(value))
            case 6:
                // OFPVID_PRESENT (0x1000) is the key's "tagged" bit; 0 alone: no tag.
                let bits = UInt16(mask ?? 0x1FFF) & 0x1FFF
                result.value.vlanTCI = result.value.vlanTCI & ~bits | UInt16(value) & bits
                result.mask.vlanTCI |= bits
            case 7:
                result.value.vlanTCI = result.value.vlanTCI & 0x1FFF | UInt16(value & 7) << 13
                result.mask.vlanTCI |= 0xE000
            case 10: result.setIPProtocol(UInt8(value))
            case 11, 12:
                let address = IPv6Address(ipv4Mapped: IPv4Address(rawValue: UInt32(value)))
                let bits = IPv6Address(high: .max, low: 0xFFFF_FFFF_0000_0000 | (mask ?? 0xFFFF_FFFF))
                let masked = IPv6Address(high: address.high & bits.high, low: address.low & bits.low)
                if field.field == 11 {
                    (result.value.ipSource, result.mask.ipSource) = (masked, bits)
                } else {
                    (result.value.ipDestination, result.mask.ipDestination) = (masked, bits)
                }
            // TCP and UDP ports (maskable, as Open vSwitch allows), ICMP type and code.
            case 13, 15, 19, 29: result.setTransportSource(UInt16(value), mask: UInt16(mask ?? 0xFFFF))
            case 14, 16, 20, 30: result.setTransportDestination(UInt16(value), mask: UInt16(mask ?? 0xFFFF))
            case 26, 27:
                let address = IPv6Address(high: word(field.value, 0), low: word(field.value, 8))
                let bits = field.mask.map { IPv6Address(high: word($0, 0), low: word($0, 8)) } ?? IPv6Address(high: .max, low: .max)
                let masked = IPv6Address(high: address.high & bits.high, low: address.low & bits.low)
                if field.field == 26 {
                    (result.value.ipSource, result.mask.ipSource) = (masked, bits)
                } else {
                    (result.value.ipDestination, result.mask.ipDestination) = (masked, bits)
                }
            default: throw matchError(6)
            }
        }
        try checkPrerequisites(seen, match: result)
        return result
    }

    /// OpenFlow 1.3.5 table 12: what each field needs earlier in the same match.
    static func checkPrerequisites(_ seen: [UInt8: UInt64], match: FlowMatch) throws(OpenFlowError) {
        let ethType = seen[5]
        let proto = seen[10]
        let isIP = ethType == 0x0800 || ethType == 0x86DD
        for field in seen.keys {
            let satisfied: Bool =
                switch field {
                case 7: match.mask.vlanTCI & 0x1000 != 0 && match.value.vlanTCI & 0x1000 != 0  // vlan_pcp: VLAN_VID != NONE
                case 10: isIP
                case 11, 12: ethType == 0x0800
                case 26, 27: ethType == 0x86DD
                case 13, 14: isIP && proto == 6
                case 15, 16: isIP && proto == 17
                case 19, 20: ethType == 0x0800 && proto == 1
                case 29, 30: ethType == 0x86DD && proto == 58
                default: true
                }
            guard satisfied else { throw matchError(9) }  // BAD_PREREQ
        }
    }

    static func word(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
        bytes[offset..<(offset + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    static func bytes(_ value: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * (count - 1 - $0))) }
    }

    /// The OXM match for `match`, fields in OpenFlow order, each with a mask only when partial.
    public static func openFlowMatch(_ match: FlowMatch) -> OpenFlowMatch {
        let value = match.value
        let mask = match.mask
        var fields: [OXMField] = []
        func add(_ field: UInt8, _ value: UInt64, _ mask: UInt64, full: UInt64, length: Int) {
            guard mask != 0 else { return }
            fields.append(OXMField(field: field, value: bytes(value, length), mask: mask == full ? nil : bytes(mask, length)))
        }
        if mask.inPort != 0 { fields.append(OXMField(field: 0, value: bytes(UInt64(value.inPort) + 1, 4))) }
        add(2, value.metadata, mask.metadata, full: .max, length: 8)
        add(3, value.ethDst, mask.ethDst, full: 0xFFFF_FFFF_FFFF, length: 6)
        add(4, value.ethSrc, mask.ethSrc, full: 0xFFFF_FFFF_FFFF, length: 6)
        add(5, UInt64(value.ethType), UInt64(mask.ethType), full: 0xFFFF, length: 2)
        add(6, UInt64(value.vlanTCI & 0x1FFF), UInt64(mask.vlanTCI & 0x1FFF), full: 0x1FFF, length: 2)
        add(7, UInt64(value.vlanTCI >> 13), UInt64(mask.vlanTCI >> 13), full: 7, length: 1)
        add(10, UInt64(value.ipProtocol), UInt64(mask.ipProtocol), full: 0xFF, length: 1)
        let ethType = mask.ethType == 0xFFFF ? value.ethType : 0
        if ethType == 0x86DD {
            for (number, address, bits) in [(UInt8(26), value.ipSource, mask.ipSource), (27, value.ipDestination, mask.ipDestination)]
            where bits.high != 0 || bits.low != 0 {
                let full = bits.high == .max && bits.low == .max
                fields.append(
                    OXMField(
                        field: number, value: bytes(address.high, 8) + bytes(address.low, 8),
                        mask: full ? nil : bytes(bits.high, 8) + bytes(bits.low, 8)))
            }
        } else {
            add(11, value.ipSource.low & 0xFFFF_FFFF, mask.ipSource.low & 0xFFFF_FFFF, full: 0xFFFF_FFFF, length: 4)
            add(12, value.ipDestination.low & 0xFFFF_FFFF, mask.ipDestination.low & 0xFFFF_FFFF, full: 0xFFFF_FFFF, length: 4)
        }
        let proto = mask.ipProtocol == 0xFF ? value.ipProtocol : 0
        let (source, destination, length): (UInt8, UInt8, Int) =
            switch proto {
            case 6: (13, 14, 2)
            case 17: (15, 16, 2)
            case 1: (19, 20, 1)
            case 58: (29, 30, 1)
            default: (0, 0, 0)
            }
        if length > 0 {
            let full: UInt64 = length == 2 ? 0xFFFF : 0xFF
            add(source, UInt64(value.transportSource), UInt64(mask.transportSource) & full, full: full, length: length)
            add(destination, UInt64(value.transportDestination), UInt64(mask.transportDestination) & full, full: full, length: length)
        }
        return OpenFlowMatch(fields: fields)
    }
}
