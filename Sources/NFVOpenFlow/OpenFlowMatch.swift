/// One OXM TLV: a match field (or a set-field action's value). `class` 0x8000 is OpenFlow
/// basic; others (Nicira's 0x0001, experimenters) are kept as they came.
public struct OXMField: Sendable, Equatable {
    public var oxmClass: UInt16
    /// The field number (7 bits).
    public var field: UInt8
    public var value: [UInt8]
    /// The mask, when the TLV has one (same length as the value).
    public var mask: [UInt8]?

    public init(oxmClass: UInt16 = OXMField.basic, field: UInt8, value: [UInt8], mask: [UInt8]? = nil) {
        self.oxmClass = oxmClass
        self.field = field
        self.value = value
        self.mask = mask
    }

    /// OFPXMC_OPENFLOW_BASIC.
    public static let basic: UInt16 = 0x8000

    /// The OpenFlow basic fields by name (OpenFlow 1.3.5, 7.2.3.7), as ovs-ofctl and os-ken name
    /// them (1.3 has no basic pbb_uca: os-ken sends it as an ONF experimenter TLV).
    public static let basicNames: [String: UInt8] = [
        "in_port": 0, "in_phy_port": 1, "metadata": 2, "eth_dst": 3, "eth_src": 4, "eth_type": 5, "vlan_vid": 6,
        "vlan_pcp": 7, "ip_dscp": 8, "ip_ecn": 9, "ip_proto": 10, "ipv4_src": 11, "ipv4_dst": 12, "tcp_src": 13,
        "tcp_dst": 14, "udp_src": 15, "udp_dst": 16, "sctp_src": 17, "sctp_dst": 18, "icmpv4_type": 19,
        "icmpv4_code": 20, "arp_op": 21, "arp_spa": 22, "arp_tpa": 23, "arp_sha": 24, "arp_tha": 25, "ipv6_src": 26,
        "ipv6_dst": 27, "ipv6_flabel": 28, "icmpv6_type": 29, "icmpv6_code": 30, "ipv6_nd_target": 31,
        "ipv6_nd_sll": 32, "ipv6_nd_tll": 33, "mpls_label": 34, "mpls_tc": 35, "mpls_bos": 36, "pbb_isid": 37,
        "tunnel_id": 38, "ipv6_exthdr": 39,
    ]

    /// The basic field's name, or nil for other classes and unknown numbers.
    public var name: String? {
        guard oxmClass == Self.basic else { return nil }
        return Self.basicNames.first { $0.value == field }?.key
    }

    /// The value as an unsigned integer (fields of at most 8 bytes).
    public var integer: UInt64 { value.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OXMField {
        try reader.need(4)
        let oxmClass = reader.u16()
        let fieldAndMask = reader.u8()
        let length = Int(reader.u8())
        var body = try reader.take(length)
        // An experimenter TLV (class 0xffff) starts with the experimenter id: kept in the value.
        let hasMask = fieldAndMask & 1 != 0
        guard !hasMask || length % 2 == 0 else { throw WireReader.Short() }
        let valueLength = hasMask ? length / 2 : length
        let value = try body.take(valueLength).restCopy()
        let mask = hasMask ? body.rest() : nil
        return OXMField(oxmClass: oxmClass, field: fieldAndMask >> 1, value: value, mask: mask)
    }

    func encode(_ writer: inout WireWriter) {
        writer.u16(oxmClass)
        writer.u8(field << 1 | (mask == nil ? 0 : 1))
        writer.u8(UInt8(value.count + (mask?.count ?? 0)))
        writer.bytes(value)
        if let mask { writer.bytes(mask) }
    }

    /// The TLV's size on the wire.
    var wireLength: Int { 4 + value.count + (mask?.count ?? 0) }
}

/// `ofp_match` of type OXM: the fields a flow (or a packet-in, a flow-removed) matches on.
public struct OpenFlowMatch: Sendable, Equatable {
    public var fields: [OXMField]

    public init(fields: [OXMField] = []) { self.fields = fields }

    /// The field named `name` (basic class), if present.
    public func field(_ name: String) -> OXMField? {
        guard let number = OXMField.basicNames[name] else { return nil }
        return fields.first { $0.oxmClass == OXMField.basic && $0.field == number }
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowMatch {
        try reader.need(4)
        let type = reader.u16()
        let length = Int(reader.u16())
        guard type == 1, length >= 4 else { throw WireReader.Short() }
        var body = try reader.take(length - 4)
        var fields: [OXMField] = []
        while body.remaining > 0 { fields.append(try OXMField.decode(&body)) }
        try reader.skip((8 - length % 8) % 8)
        return OpenFlowMatch(fields: fields)
    }

    func encode(_ writer: inout WireWriter) {
        let length = 4 + fields.reduce(0) { $0 + $1.wireLength }
        writer.u16(1)
        writer.u16(UInt16(length))
        for field in fields { field.encode(&writer) }
        writer.zeros((8 - length % 8) % 8)
    }
}
