import Foundation
import NFVOpenFlow
import NFVTestSupport
import Testing

/// The codec against messages another implementation made: os-ken's OpenFlow 1.3 test data
/// (Tests/Fixtures/openflow/of13, Apache-2.0). Each file is decoded, its fields compared with
/// os-ken's own JSON decoding of it (for FLOW_MOD: the header fields, every match field, the
/// instructions and their action types), and encoded back to the same bytes.
@Suite struct OpenFlowCodecTests {
    static let directory = Fixtures.root.appendingPathComponent("Tests/Fixtures/openflow/of13")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".packet") }.sorted()
    }

    /// os-ken's JSON for `file`: the message class and its fields.
    static func expected(_ file: String) throws -> (kind: String, fields: [String: Any]) {
        let data = try Data(contentsOf: directory.appendingPathComponent(file + ".json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let (kind, fields) = try #require(object.first)
        return (kind, fields)
    }

    static func bytes(_ text: Any?) -> [UInt8] { (text as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? [] }
    static func number(_ value: Any?) -> UInt64 { (value as? NSNumber)?.uint64Value ?? 0 }

    @Test(arguments: files)
    func decodesAsOsKenDoesAndEncodesTheSameBytes(_ file: String) throws {
        let wire = try Array(Data(contentsOf: Self.directory.appendingPathComponent(file)))
        let frame = try OpenFlowCodec.decode(wire[...])
        #expect(frame.version == 4)
        let (kind, fields) = try Self.expected(file)
        switch (kind, frame.message) {
        case ("OFPHello", .hello(let versions)):
            let elements = fields["elements"] as? [[String: [String: Any]]] ?? []
            let expected = (elements.first?["OFPHelloElemVersionBitmap"]?["versions"] as? [Int]) ?? []
            #expect(versions.map(Int.init) == expected)
        case ("OFPErrorMsg", .error(let error)):
            #expect(Int(error.type) == fields["type"] as? Int)
            if let experimenter = fields["experimenter"] as? Int {
                #expect(error.experimenter.map(Int.init) == experimenter && Int(error.code) == fields["exp_type"] as? Int)
            } else {
                #expect(Int(error.code) == fields["code"] as? Int)
            }
            #expect(error.data == Self.bytes(fields["data"]))
        case ("OFPEchoRequest", .echoRequest(let data)), ("OFPEchoReply", .echoReply(let data)):
            #expect(data == Self.bytes(fields["data"]))
        case ("OFPExperimenter", .experimenter(let id, let type, let data)):
            #expect(UInt64(id) == Self.number(fields["experimenter"]) && UInt64(type) == Self.number(fields["exp_type"]))
            #expect(data == Self.bytes(fields["data"]))
        case ("OFPFeaturesRequest", .featuresRequest), ("OFPGetConfigRequest", .getConfigRequest),
            ("OFPBarrierRequest", .barrierRequest), ("OFPBarrierReply", .barrierReply), ("OFPGetAsyncRequest", .getAsyncRequest):
            break
        case ("OFPSwitchFeatures", .featuresReply(let features)):
            #expect(features.datapathID == Self.number(fields["datapath_id"]))
            #expect(UInt64(features.bufferCount) == Self.number(fields["n_buffers"]))
            #expect(UInt64(features.tableCount) == Self.number(fields["n_tables"]))
            #expect(UInt64(features.auxiliaryID) == Self.number(fields["auxiliary_id"]))
            #expect(UInt64(features.capabilities) == Self.number(fields["capabilities"]))
        case ("OFPGetConfigReply", .getConfigReply(let config)), ("OFPSetConfig", .setConfig(let config)):
            #expect(UInt64(config.flags) == Self.number(fields["flags"]))
            #expect(UInt64(config.missSendLength) == Self.number(fields["miss_send_len"]))
        case ("OFPRoleRequest", .roleRequest(let role, let generation)), ("OFPRoleReply", .roleReply(let role, let generation)):
            #expect(UInt64(role) == Self.number(fields["role"]) && generation == Self.number(fields["generation_id"]))
        case ("OFPGetAsyncReply", .getAsyncReply(let config)), ("OFPSetAsync", .setAsync(let config)):
            #expect(config.packetInMask.map(Int.init) == fields["packet_in_mask"] as? [Int])
            #expect(config.portStatusMask.map(Int.init) == fields["port_status_mask"] as? [Int])
            #expect(config.flowRemovedMask.map(Int.init) == fields["flow_removed_mask"] as? [Int])
        case ("OFPFlowMod", .flowMod(let flowMod)):
            for (key, value) in [
                ("cookie", flowMod.cookie), ("cookie_mask", flowMod.cookieMask), ("table_id", UInt64(flowMod.tableID)),
                ("command", UInt64(flowMod.command)), ("idle_timeout", UInt64(flowMod.idleTimeout)),
                ("hard_timeout", UInt64(flowMod.hardTimeout)), ("priority", UInt64(flowMod.priority)),
                ("out_port", UInt64(flowMod.outPort)), ("out_group", UInt64(flowMod.outGroup)), ("flags", UInt64(flowMod.flags)),
            ] {
                #expect(value == Self.number(fields[key]), "\(file): \(key)")
            }
            Self.checkMatch(fields["match"], flowMod.match, file)
            let instructions = fields["instructions"] as? [[String: [String: Any]]] ?? []
            #expect(instructions.count == flowMod.instructions.count, "\(file): instructions")
            for (theirs, ours) in zip(instructions, flowMod.instructions) {
                guard let (name, body) = theirs.first else { continue }
                #expect(Self.number(body["type"]) == UInt64(ours.type), "\(file): \(name)")
                if case .applyActions(let actions) = ours {
                    let types = (body["actions"] as? [[String: [String: Any]]] ?? []).compactMap { $0.first.map { Self.number($0.value["type"]) } }
                    #expect(types == actions.map { UInt64($0.type) }, "\(file): action types")
                }
                if case .writeActions(let actions) = ours {
                    let types = (body["actions"] as? [[String: [String: Any]]] ?? []).compactMap { $0.first.map { Self.number($0.value["type"]) } }
                    #expect(types == actions.map { UInt64($0.type) }, "\(file): action types")
                }
            }
        case ("OFPPacketIn", .packetIn(let packetIn)):
            #expect(UInt64(packetIn.bufferID) == Self.number(fields["buffer_id"]) && UInt64(packetIn.totalLength) == Self.number(fields["total_len"]))
            #expect(UInt64(packetIn.reason) == Self.number(fields["reason"]) && UInt64(packetIn.tableID) == Self.number(fields["table_id"]))
            #expect(packetIn.cookie == Self.number(fields["cookie"]) && packetIn.data == Self.bytes(fields["data"]))
            Self.checkMatch(fields["match"], packetIn.match, file)
        case ("OFPPacketOut", .packetOut(let packetOut)):
            #expect(UInt64(packetOut.bufferID) == Self.number(fields["buffer_id"]) && UInt64(packetOut.inPort) == Self.number(fields["in_port"]))
            let types = (fields["actions"] as? [[String: [String: Any]]] ?? []).compactMap { $0.first.map { Self.number($0.value["type"]) } }
            #expect(types == packetOut.actions.map { UInt64($0.type) }, "\(file): action types")
            if fields["data"] is String { #expect(packetOut.data == Self.bytes(fields["data"])) }
        case ("OFPFlowRemoved", .flowRemoved(let removed)):
            for (key, value) in [
                ("cookie", removed.cookie), ("priority", UInt64(removed.priority)), ("reason", UInt64(removed.reason)),
                ("table_id", UInt64(removed.tableID)), ("duration_sec", UInt64(removed.durationSeconds)),
                ("duration_nsec", UInt64(removed.durationNanoseconds)), ("idle_timeout", UInt64(removed.idleTimeout)),
                ("hard_timeout", UInt64(removed.hardTimeout)), ("packet_count", removed.packetCount), ("byte_count", removed.byteCount),
            ] {
                #expect(value == Self.number(fields[key]), "\(file): \(key)")
            }
            Self.checkMatch(fields["match"], removed.match, file)
        case ("OFPPortStatus", .portStatus(let reason, let port)):
            #expect(UInt64(reason) == Self.number(fields["reason"]))
            let desc = (fields["desc"] as? [String: [String: Any]])?["OFPPort"] ?? [:]
            Self.checkPort(desc, port, file)
        case (_, .multipartRequest(let flags, let request)):
            #expect(UInt64(flags) == Self.number(fields["flags"]) && UInt64(request.type) == Self.number(fields["type"]), "\(file)")
            Self.checkRequest(kind, fields, request, file)
        case (_, .multipartReply(let flags, let reply)):
            #expect(UInt64(flags) == Self.number(fields["flags"]) && UInt64(reply.type) == Self.number(fields["type"]), "\(file)")
            Self.checkReply(kind, fields["body"], reply, file)
        case ("OFPGroupMod", .groupMod(let groupMod)):
            Self.same(fields, ["command": groupMod.command, "type": groupMod.groupType, "group_id": groupMod.groupID], file)
            Self.checkBuckets(fields["buckets"], groupMod.buckets, file)
        case ("OFPMeterMod", .meterMod(let meterMod)):
            Self.same(fields, ["command": meterMod.command, "flags": meterMod.flags, "meter_id": meterMod.meterID], file)
            Self.checkBands(fields["bands"], meterMod.bands, file)
        case ("OFPPortMod", .portMod(let portMod)):
            Self.same(
                fields, ["port_no": portMod.portNumber, "config": portMod.config, "mask": portMod.mask, "advertise": portMod.advertise], file)
            #expect(Self.mac(portMod.hardwareAddress) == fields["hw_addr"] as? String, "\(file): hw_addr")
        case ("OFPTableMod", .tableMod(let table, let config)):
            Self.same(fields, ["table_id": table, "config": config], file)
        default:
            Issue.record("\(file): os-ken says \(kind), we decoded \(frame.message)")
        }
        #expect(OpenFlowCodec.encode(frame) == wire, "\(file): encodes back to the same bytes")
    }

    /// os-ken's `OFPMatch` against ours: the same fields in order, integer values equal (MAC and
    /// IP values, which os-ken prints as text, by their length).
    static func checkMatch(_ json: Any?, _ match: OpenFlowMatch, _ file: String) {
        let theirs = ((json as? [String: [String: Any]])?["OFPMatch"]?["oxm_fields"] as? [[String: [String: Any]]] ?? []).compactMap {
            $0["OXMTlv"]
        }
        #expect(theirs.count == match.fields.count, "\(file): match fields")
        for (field, ours) in zip(theirs, match.fields) {
            let name = field["field"] as? String ?? ""
            if let number = OXMField.basicNames[name] {
                #expect(ours.oxmClass == OXMField.basic && ours.field == number, "\(file): \(name)")
                if let value = field["value"] as? NSNumber { #expect(ours.integer == value.uint64Value, "\(file): \(name) value") }
                if let text = field["value"] as? String, text.contains(":") && text.count == 17 {
                    #expect(ours.value.map { String(format: "%02x", $0) }.joined(separator: ":") == text, "\(file): \(name) MAC")
                }
            }
            #expect((field["mask"] is NSNull || field["mask"] == nil) == (ours.mask == nil), "\(file): \(name) mask")
        }
    }

    @Test func theFixturesAreThere() {
        #expect(Self.files.count >= 74)
    }

    /// What breaks the spec is the spec's error, quoting the message (the channel answers it).
    @Test func badMessagesAreTheSpecsErrors() throws {
        let echo = OpenFlowCodec.encode(OpenFlowFrame(xid: 7, message: .echoRequest([1, 2, 3])))
        // Announced length longer than the bytes: OFPBRC_BAD_LEN.
        var long = echo
        long[3] += 1
        #expect(throws: OpenFlowError.badLength(long)) { try OpenFlowCodec.decode(long[...]) }
        // OpenFlow 1.0 (version 1) for anything but HELLO: OFPBRC_BAD_VERSION.
        var old = echo
        old[0] = 1
        #expect(throws: OpenFlowError.badVersion(old)) { try OpenFlowCodec.decode(old[...]) }
        // A body too short for its type: OFPBRC_BAD_LEN.
        let shortFeatures: [UInt8] = [4, 6, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0]
        #expect(throws: OpenFlowError.badLength(shortFeatures)) { try OpenFlowCodec.decode(shortFeatures[...]) }
        // An ERROR whose body cannot hold its type and code (the fuzzer's find), and an
        // experimenter ERROR without its experimenter id: OFPBRC_BAD_LEN.
        let shortError: [UInt8] = [4, 1, 0, 9, 0, 0, 0, 2, 0]
        #expect(throws: OpenFlowError.badLength(shortError)) { try OpenFlowCodec.decode(shortError[...]) }
        let shortExperimenterError: [UInt8] = [4, 1, 0, 14, 0, 0, 0, 2, 0xFF, 0xFF, 0, 1, 0, 0]
        #expect(throws: OpenFlowError.badLength(shortExperimenterError)) { try OpenFlowCodec.decode(shortExperimenterError[...]) }
        // A version bitmap of nine words (bits past version 255, the fuzzer's third find) and
        // two bitmap elements read as one set of versions.
        let longBitmap: [UInt8] = [4, 0, 0, 48, 0, 0, 0, 1, 0, 1, 0, 40] + [0, 0, 0, 0x10] + [UInt8](repeating: 0, count: 28) + [0, 0, 0, 1]
        #expect(try OpenFlowCodec.decode(longBitmap[...]).message == .hello(versions: [4]))
        let twoBitmaps: [UInt8] = [4, 0, 0, 24, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0x12, 0, 1, 0, 8, 0, 0, 0, 0x10]
        #expect(try OpenFlowCodec.decode(twoBitmaps[...]).message == .hello(versions: [1, 4]))
        // A HELLO of another version is read, for version negotiation.
        let hello10: [UInt8] = [1, 0, 0, 8, 0, 0, 0, 9]
        #expect(try OpenFlowCodec.decode(hello10[...]) == OpenFlowFrame(version: 1, xid: 9, message: .hello(versions: [])))
        // An unknown type keeps its body, for an OFPBRC_BAD_TYPE answer.
        let unknown: [UInt8] = [4, 99, 0, 10, 0, 0, 0, 3, 0xAB, 0xCD]
        #expect(try OpenFlowCodec.decode(unknown[...]).message == .other(type: 99, body: [0xAB, 0xCD]))
        #expect(OpenFlowCodec.announcedLength(unknown[...]) == 10)
    }

    /// Port names are NUL-padded 16-byte fields: a name that is not UTF-8 (the fuzzer's find)
    /// or fills all 16 bytes still decodes to a name that writes back to the same message.
    @Test(arguments: [
        Array("tap-inside".utf8), [0xE7, 0xA7, 0x81, 0x9D, 0xE3, 0x81, 0xE3, 0xE3, 0xAE, 0x83, 0x83, 0xBC, 0xE3, 0x83, 0x88],
        Array("sixteen-bytes-ab".utf8), Array("abcdefghijklmné".utf8),
    ])
    func portNamesRoundTrip(name: [UInt8]) throws {
        var message: [UInt8] = [4, 12, 0, 80, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 7)
        message += [0, 0, 0, 7, 0, 0, 0, 0, 0xF2, 0x0B, 0xA4, 0xD0, 0x3F, 0x70, 0, 0]
        message += name + [UInt8](repeating: 0, count: 16 - name.count)
        message += [UInt8](repeating: 0, count: 32)
        let decoded = try OpenFlowCodec.decode(message[...])
        guard case .portStatus(_, let port) = decoded.message else {
            Issue.record("not a PORT_STATUS: \(decoded)")
            return
        }
        #expect(port.name.utf8.count <= 15)
        let again = OpenFlowCodec.encode(decoded)
        #expect(try OpenFlowCodec.decode(again[...]) == decoded)
        if String(validating: name, as: UTF8.self) != nil && name.count < 16 { #expect(again == message) }
    }

    /// Every (os-ken field name, our value) pair agrees.
    static func same(_ fields: [String: Any], _ ours: [String: any BinaryInteger], _ file: String) {
        for (key, value) in ours { #expect(UInt64(value) == number(fields[key]), "\(file): \(key)") }
    }

    /// The entries of a multipart body (os-ken: a list of one-key objects, or one object).
    static func entries(_ body: Any?) -> [[String: Any]] {
        if let list = body as? [[String: [String: Any]]] { return list.compactMap { $0.first?.value } }
        if let one = body as? [String: [String: Any]], let value = one.first?.value { return [value] }
        return []
    }

    static func mac(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined(separator: ":") }

    static func checkPort(_ desc: [String: Any], _ port: OpenFlowPort, _ file: String) {
        same(
            desc,
            [
                "port_no": port.portNumber, "config": port.config, "state": port.state, "curr": port.current, "advertised": port.advertised,
                "supported": port.supported, "peer": port.peer, "curr_speed": port.currentSpeed, "max_speed": port.maximumSpeed,
            ], file)
        #expect(port.name == desc["name"] as? String && mac(port.hardwareAddress) == desc["hw_addr"] as? String, "\(file): port")
    }

    static func actionTypes(_ json: Any?) -> [UInt64] {
        (json as? [[String: [String: Any]]] ?? []).compactMap { $0.first.map { number($0.value["type"]) } }
    }

    static func checkBuckets(_ json: Any?, _ buckets: [OpenFlowBucket], _ file: String) {
        let theirs = entries(json)
        #expect(theirs.count == buckets.count, "\(file): buckets")
        for (bucket, ours) in zip(theirs, buckets) {
            same(bucket, ["weight": ours.weight, "watch_port": ours.watchPort, "watch_group": ours.watchGroup], file)
            #expect(actionTypes(bucket["actions"]) == ours.actions.map { UInt64($0.type) }, "\(file): bucket actions")
        }
    }

    static func checkBands(_ json: Any?, _ bands: [OpenFlowMeterBand], _ file: String) {
        let theirs = entries(json)
        #expect(theirs.count == bands.count, "\(file): bands")
        for (band, ours) in zip(theirs, bands) {
            same(band, ["type": ours.type, "rate": ours.rate, "burst_size": ours.burstSize], file)
            if ours.type == 2 { same(band, ["prec_level": ours.precedenceLevel], file) }
            if ours.type == 0xFFFF { same(band, ["experimenter": ours.experimenter], file) }
        }
    }

    static func checkFilter(_ fields: [String: Any], _ filter: OpenFlowFlowFilter, _ file: String) {
        same(
            fields,
            [
                "table_id": filter.tableID, "out_port": filter.outPort, "out_group": filter.outGroup, "cookie": filter.cookie,
                "cookie_mask": filter.cookieMask,
            ], file)
        checkMatch(fields["match"], filter.match, file)
    }

    static func checkRequest(_ kind: String, _ fields: [String: Any], _ request: OpenFlowMultipartRequest, _ file: String) {
        switch (kind, request) {
        case ("OFPDescStatsRequest", .description), ("OFPTableStatsRequest", .table), ("OFPGroupDescStatsRequest", .groupDescription),
            ("OFPGroupFeaturesStatsRequest", .groupFeatures), ("OFPMeterFeaturesStatsRequest", .meterFeatures),
            ("OFPPortDescStatsRequest", .portDescription):
            break
        case ("OFPFlowStatsRequest", .flow(let filter)), ("OFPAggregateStatsRequest", .aggregate(let filter)):
            checkFilter(fields, filter, file)
        case ("OFPPortStatsRequest", .portStats(let port)): same(fields, ["port_no": port], file)
        case ("OFPGroupStatsRequest", .groupStats(let group)): same(fields, ["group_id": group], file)
        case ("OFPMeterStatsRequest", .meterStats(let meter)), ("OFPMeterConfigStatsRequest", .meterConfig(let meter)):
            same(fields, ["meter_id": meter], file)
        case ("OFPTableFeaturesStatsRequest", .tableFeatures(let tables)): checkTableFeatures(fields["body"], tables, file)
        default: Issue.record("\(file): os-ken says \(kind), we decoded \(request)")
        }
    }

    static func checkTableFeatures(_ json: Any?, _ tables: [OpenFlowTableFeatures], _ file: String) {
        let theirs = entries(json)
        #expect(theirs.count == tables.count, "\(file): tables")
        for (table, ours) in zip(theirs, tables) {
            same(
                table,
                [
                    "config": ours.config, "max_entries": ours.maxEntries, "metadata_match": ours.metadataMatch,
                    "metadata_write": ours.metadataWrite,
                ], file)
            #expect(table["name"] as? String == ours.name, "\(file): table name")
            let properties = entries(table["properties"])
            #expect(properties.map { number($0["type"]) } == ours.properties.map { UInt64($0.type) }, "\(file): property types")
            for (property, body) in zip(properties, ours.properties) {
                #expect(number(property["length"]) == UInt64(4 + body.body.count), "\(file): property length")
            }
        }
    }

    static func checkReply(_ kind: String, _ body: Any?, _ reply: OpenFlowMultipartReply, _ file: String) {
        let theirs = entries(body)
        switch (kind, reply) {
        case ("OFPDescStatsReply", .description(let description)):
            let fields = theirs.first ?? [:]
            #expect(
                [description.manufacturer, description.hardware, description.software, description.serialNumber, description.datapath]
                    == ["mfr_desc", "hw_desc", "sw_desc", "serial_num", "dp_desc"].map { fields[$0] as? String ?? "" }, "\(file)")
        case ("OFPFlowStatsReply", .flow(let flows)):
            #expect(theirs.count == flows.count, "\(file): flows")
            for (flow, ours) in zip(theirs, flows) {
                same(
                    flow,
                    [
                        "table_id": ours.tableID, "duration_sec": ours.durationSeconds, "duration_nsec": ours.durationNanoseconds,
                        "priority": ours.priority, "idle_timeout": ours.idleTimeout, "hard_timeout": ours.hardTimeout, "flags": ours.flags,
                        "cookie": ours.cookie, "packet_count": ours.packetCount, "byte_count": ours.byteCount,
                    ], file)
                checkMatch(flow["match"], ours.match, file)
                #expect(entries(flow["instructions"]).map { number($0["type"]) } == ours.instructions.map { UInt64($0.type) }, "\(file)")
            }
        case ("OFPAggregateStatsReply", .aggregate(let packets, let bytes, let flows)):
            same(theirs.first ?? [:], ["packet_count": packets, "byte_count": bytes, "flow_count": flows], file)
        case ("OFPTableStatsReply", .table(let tables)):
            #expect(theirs.count == tables.count, "\(file): tables")
            for (table, ours) in zip(theirs, tables) {
                same(
                    table,
                    [
                        "table_id": ours.tableID, "active_count": ours.activeCount, "lookup_count": ours.lookupCount,
                        "matched_count": ours.matchedCount,
                    ],
                    file)
            }
        case ("OFPPortStatsReply", .portStats(let ports)):
            #expect(theirs.count == ports.count, "\(file): ports")
            let names = [
                "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_dropped", "tx_dropped", "rx_errors", "tx_errors", "rx_frame_err",
                "rx_over_err", "rx_crc_err", "collisions",
            ]
            for (port, ours) in zip(theirs, ports) {
                same(port, ["port_no": ours.portNumber, "duration_sec": ours.durationSeconds, "duration_nsec": ours.durationNanoseconds], file)
                #expect(names.map { number(port[$0]) } == ours.counters, "\(file): port counters")
            }
        case ("OFPGroupStatsReply", .groupStats(let groups)):
            #expect(theirs.count == groups.count, "\(file): groups")
            for (group, ours) in zip(theirs, groups) {
                same(
                    group,
                    [
                        "group_id": ours.groupID, "ref_count": ours.referenceCount, "packet_count": ours.packetCount,
                        "byte_count": ours.byteCount, "duration_sec": ours.durationSeconds, "duration_nsec": ours.durationNanoseconds,
                    ], file)
                let buckets = entries(group["bucket_stats"])
                #expect(buckets.map { [number($0["packet_count"]), number($0["byte_count"])] } == ours.buckets.map { [$0.packets, $0.bytes] })
            }
        case ("OFPGroupDescStatsReply", .groupDescription(let groups)):
            #expect(theirs.count == groups.count, "\(file): groups")
            for (group, ours) in zip(theirs, groups) {
                same(group, ["group_id": ours.groupID, "type": ours.groupType], file)
                checkBuckets(group["buckets"], ours.buckets, file)
            }
        case ("OFPGroupFeaturesStatsReply", .groupFeatures(let features)):
            let fields = theirs.first ?? [:]
            same(fields, ["types": features.types, "capabilities": features.capabilities], file)
            #expect(
                fields["max_groups"] as? [Int] == features.maxGroups.map(Int.init) && fields["actions"] as? [Int] == features.actions.map(Int.init))
        case ("OFPMeterStatsReply", .meterStats(let meters)):
            #expect(theirs.count == meters.count, "\(file): meters")
            for (meter, ours) in zip(theirs, meters) {
                same(
                    meter,
                    [
                        "meter_id": ours.meterID, "flow_count": ours.flowCount, "packet_in_count": ours.packetInCount,
                        "byte_in_count": ours.byteInCount, "duration_sec": ours.durationSeconds, "duration_nsec": ours.durationNanoseconds,
                    ], file)
                let bands = entries(meter["band_stats"])
                #expect(bands.map { [number($0["packet_band_count"]), number($0["byte_band_count"])] } == ours.bands.map { [$0.packets, $0.bytes] })
            }
        case ("OFPMeterConfigStatsReply", .meterConfig(let meters)):
            #expect(theirs.count == meters.count, "\(file): meters")
            for (meter, ours) in zip(theirs, meters) {
                same(meter, ["meter_id": ours.meterID, "flags": ours.flags], file)
                checkBands(meter["bands"], ours.bands, file)
            }
        case ("OFPMeterFeaturesStatsReply", .meterFeatures(let features)):
            same(
                theirs.first ?? [:],
                [
                    "max_meter": features.maxMeters, "band_types": features.bandTypes, "capabilities": features.capabilities,
                    "max_bands": features.maxBands, "max_color": features.maxColor,
                ], file)
        case ("OFPTableFeaturesStatsReply", .tableFeatures(let tables)): checkTableFeatures(body, tables, file)
        case ("OFPPortDescStatsReply", .portDescription(let ports)):
            #expect(theirs.count == ports.count, "\(file): ports")
            for (port, ours) in zip(theirs, ports) { checkPort(port, ours, file) }
        default: Issue.record("\(file): os-ken says \(kind), we decoded \(reply)")
        }
    }
}
