/// One table of an OFPMP_TABLE_FEATURES request or reply (`ofp_table_features`): its name,
/// size, and properties saying which instructions, next tables, actions and match fields it
/// takes.
public struct OpenFlowTableFeatures: Sendable, Equatable {
    public var tableID: UInt8
    public var name: String
    public var metadataMatch: UInt64
    public var metadataWrite: UInt64
    public var config: UInt32
    public var maxEntries: UInt32
    public var properties: [Property]

    /// A table feature property (`ofp_table_feature_prop_*`): its type and body as on the wire
    /// (without the padding to 8 bytes).
    public struct Property: Sendable, Equatable {
        public var type: UInt16
        public var body: [UInt8]

        public init(type: UInt16, body: [UInt8]) {
            self.type = type
            self.body = body
        }

        /// OFPTFPT_INSTRUCTIONS (0) or _MISS (1): instruction types.
        public static func instructions(_ types: [UInt16], miss: Bool = false) -> Property {
            Property(type: miss ? 1 : 0, body: types.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF), 0, 4] })
        }
        /// OFPTFPT_NEXT_TABLES (2) or _MISS (3): table numbers.
        public static func nextTables(_ tables: [UInt8], miss: Bool = false) -> Property {
            Property(type: miss ? 3 : 2, body: tables)
        }
        /// OFPTFPT_WRITE_ACTIONS (4), _MISS (5), APPLY_ACTIONS (6), _MISS (7): action types.
        public static func actions(_ types: [UInt16], type: UInt16) -> Property {
            Property(type: type, body: types.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF), 0, 4] })
        }
        /// OFPTFPT_MATCH (8), WILDCARDS (10), WRITE_SETFIELD (12), _MISS (13),
        /// APPLY_SETFIELD (14), _MISS (15): OXM headers of basic-class fields.
        public static func fields(_ fields: [(field: UInt8, length: UInt8, maskable: Bool)], type: UInt16) -> Property {
            Property(
                type: type,
                body: fields.flatMap { field in
                    [0x80, 0x00, field.field << 1 | (field.maskable ? 1 : 0), field.maskable ? field.length * 2 : field.length]
                })
        }
    }

    public init(
        tableID: UInt8, name: String, metadataMatch: UInt64, metadataWrite: UInt64, config: UInt32, maxEntries: UInt32,
        properties: [Property]
    ) {
        self.tableID = tableID
        self.name = name
        self.metadataMatch = metadataMatch
        self.metadataWrite = metadataWrite
        self.config = config
        self.maxEntries = maxEntries
        self.properties = properties
    }

    static func decodeList(_ reader: inout WireReader) throws(WireReader.Short) -> [OpenFlowTableFeatures] {
        var tables: [OpenFlowTableFeatures] = []
        while reader.remaining > 0 {
            try reader.need(64)
            let length = Int(reader.u16())
            guard length >= 64 else { throw WireReader.Short() }
            var entry = try reader.take(length - 2)
            let table = entry.u8()
            try entry.skip(5)
            let name = try entry.fixedString(32)
            let metadataMatch = entry.u64()
            let metadataWrite = entry.u64()
            let config = entry.u32()
            let maxEntries = entry.u32()
            var properties: [Property] = []
            while entry.remaining > 0 {
                try entry.need(4)
                let type = entry.u16()
                let propertyLength = Int(entry.u16())
                guard propertyLength >= 4 else { throw WireReader.Short() }
                var body = try entry.take(propertyLength - 4)
                properties.append(Property(type: type, body: body.rest()))
                try entry.skip(min(entry.remaining, (8 - propertyLength % 8) % 8))
            }
            tables.append(
                OpenFlowTableFeatures(
                    tableID: table, name: name, metadataMatch: metadataMatch, metadataWrite: metadataWrite, config: config,
                    maxEntries: maxEntries, properties: properties))
        }
        return tables
    }

    func encode(_ writer: inout WireWriter) {
        let start = writer.bytes.count
        writer.u16(0)
        writer.u8(tableID)
        writer.zeros(5)
        writer.fixedString(name, count: 32)
        writer.u64(metadataMatch)
        writer.u64(metadataWrite)
        writer.u32(config)
        writer.u32(maxEntries)
        for property in properties {
            writer.u16(property.type)
            writer.u16(UInt16(4 + property.body.count))
            writer.bytes(property.body)
            writer.zeros((8 - (4 + property.body.count) % 8) % 8)
        }
        writer.setU16(at: start, UInt16(writer.bytes.count - start))
    }
}
