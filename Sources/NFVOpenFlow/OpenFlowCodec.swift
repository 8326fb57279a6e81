/// Reads and writes OpenFlow 1.3 messages (big-endian, an 8-byte header: version, type,
/// length, xid). Pure: bytes in, values out, and back. A message that breaks the spec is an
/// `OpenFlowError` with the type and code the switch answers with (its data: the message's
/// first 64 bytes), so the channel can reply and stay up.
public enum OpenFlowCodec {
    /// The header's size.
    public static let headerLength = 8

    /// The length a message starting at `bytes` announces, once its header is there.
    public static func announcedLength(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return Int(bytes[bytes.startIndex + 2]) << 8 | Int(bytes[bytes.startIndex + 3])
    }

    /// Decodes one whole message (exactly `length` bytes, as announced).
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(OpenFlowError) -> OpenFlowFrame {
        var reader = WireReader(bytes)
        let quote = Array(bytes.prefix(64))
        guard bytes.count >= headerLength, let length = announcedLength(bytes), length == bytes.count else {
            throw .badLength(quote)
        }
        let version = reader.u8()
        let type = reader.u8()
        _ = reader.u16()
        let xid = reader.u32()
        // HELLO of any version is read (version negotiation); everything else must be 1.3.
        guard version == OpenFlowFrame.version13 || type == 0 else { throw .badVersion(quote) }
        let message: OpenFlowMessage
        do {
            message = try decodeBody(type: type, &reader)
        } catch {
            throw .badLength(quote)
        }
        return OpenFlowFrame(version: version, xid: xid, message: message)
    }

    static func decodeBody(type: UInt8, _ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowMessage {
        switch type {
        case 0:
            var versions: [UInt8] = []
            while reader.remaining >= 4 {
                let elementType = reader.u16()
                let elementLength = Int(reader.u16())
                guard elementLength >= 4, elementLength - 4 <= reader.remaining else { throw WireReader.Short() }
                var element = try reader.take(elementLength - 4)
                if elementType == 1 {  // OFPHET_VERSIONBITMAP
                    var word = 0
                    while element.remaining >= 4 {
                        let bits = element.u32()
                        // Versions past 255 cannot be in a header: a longer bitmap names none we could speak.
                        for bit in 0..<32 where bits & (1 << UInt32(bit)) != 0 {
                            if let version = UInt8(exactly: word * 32 + bit) { versions.append(version) }
                        }
                        word += 1
                    }
                }
                try reader.skip((8 - elementLength % 8) % 8)
            }
            return .hello(versions: Array(Set(versions)).sorted())  // several bitmaps read as one
        case 1:
            try reader.need(4)
            let errorType = reader.u16()
            if errorType == 0xFFFF {
                try reader.need(6)
                let expType = reader.u16()
                let experimenter = reader.u32()
                return .error(OpenFlowError(type: errorType, code: expType, experimenter: experimenter, data: reader.rest()))
            }
            return .error(OpenFlowError(type: errorType, code: reader.u16(), data: reader.rest()))
        case 2: return .echoRequest(reader.rest())
        case 3: return .echoReply(reader.rest())
        case 4:
            try reader.need(8)
            return .experimenter(id: reader.u32(), type: reader.u32(), data: reader.rest())
        case 5: return try empty(.featuresRequest, reader)
        case 6:
            try reader.need(24)
            let datapath = reader.u64()
            let buffers = reader.u32()
            let tables = reader.u8()
            let auxiliary = reader.u8()
            try reader.skip(2)
            let capabilities = reader.u32()
            try reader.skip(4)
            return try empty(
                .featuresReply(
                    OpenFlowFeatures(
                        datapathID: datapath, bufferCount: buffers, tableCount: tables, auxiliaryID: auxiliary,
                        capabilities: capabilities)), reader)
        case 7: return try empty(.getConfigRequest, reader)
        case 8, 9:
            try reader.need(4)
            let config = OpenFlowSwitchConfig(flags: reader.u16(), missSendLength: reader.u16())
            return try empty(type == 8 ? .getConfigReply(config) : .setConfig(config), reader)
        case 10: return .packetIn(try OpenFlowPacketIn.decode(&reader))
        case 11: return .flowRemoved(try OpenFlowFlowRemoved.decode(&reader))
        case 12:
            try reader.need(8)
            let reason = reader.u8()
            try reader.skip(7)
            return try empty(.portStatus(reason: reason, port: try OpenFlowPort.decode(&reader)), reader)
        case 13: return .packetOut(try OpenFlowPacketOut.decode(&reader))
        case 14: return .flowMod(try OpenFlowFlowMod.decode(&reader))
        case 15: return .groupMod(try OpenFlowGroupMod.decode(&reader))
        case 16: return .portMod(try empty(try OpenFlowPortMod.decode(&reader), reader))
        case 17:
            try reader.need(8)
            let table = reader.u8()
            try reader.skip(3)
            return try empty(.tableMod(tableID: table, config: reader.u32()), reader)
        case 18, 19:
            try reader.need(8)
            let multipartType = reader.u16()
            let flags = reader.u16()
            try reader.skip(4)
            if type == 18 { return .multipartRequest(flags: flags, try OpenFlowMultipartRequest.decode(type: multipartType, &reader)) }
            return .multipartReply(flags: flags, try OpenFlowMultipartReply.decode(type: multipartType, &reader))
        case 20: return try empty(.barrierRequest, reader)
        case 21: return try empty(.barrierReply, reader)
        case 24, 25:
            try reader.need(16)
            let role = reader.u32()
            try reader.skip(4)
            let generation = reader.u64()
            return try empty(
                type == 24 ? .roleRequest(role: role, generationID: generation) : .roleReply(role: role, generationID: generation), reader)
        case 26: return try empty(.getAsyncRequest, reader)
        case 27, 28:
            try reader.need(24)
            let masks = (0..<6).map { _ in reader.u32() }
            let config = OpenFlowAsyncConfig(
                packetInMask: Array(masks[0..<2]), portStatusMask: Array(masks[2..<4]), flowRemovedMask: Array(masks[4..<6]))
            return try empty(type == 27 ? .getAsyncReply(config) : .setAsync(config), reader)
        case 29: return .meterMod(try OpenFlowMeterMod.decode(&reader))
        default:
            return .other(type: type, body: reader.rest())
        }
    }

    /// `message`, provided nothing follows it in the body.
    static func empty<Value>(_ message: Value, _ reader: WireReader) throws(WireReader.Short) -> Value {
        guard reader.remaining == 0 else { throw WireReader.Short() }
        return message
    }

    /// Encodes `frame`, its length filled in.
    public static func encode(_ frame: OpenFlowFrame) -> [UInt8] {
        var writer = WireWriter()
        writer.u8(frame.version)
        writer.u8(frame.message.type)
        writer.u16(0)  // the length, below
        writer.u32(frame.xid)
        switch frame.message {
        case .hello(let versions):
            if !versions.isEmpty {
                let words = Int(versions.max()! / 32) + 1
                var bitmap = [UInt32](repeating: 0, count: words)
                for version in versions { bitmap[Int(version / 32)] |= 1 << UInt32(version % 32) }
                writer.u16(1)
                writer.u16(UInt16(4 + 4 * words))
                for word in bitmap { writer.u32(word) }
                writer.pad(to: 8)
            }
        case .error(let error):
            writer.u16(error.type)
            writer.u16(error.code)
            if let experimenter = error.experimenter { writer.u32(experimenter) }
            writer.bytes(error.data)
        case .echoRequest(let data), .echoReply(let data): writer.bytes(data)
        case .experimenter(let id, let type, let data):
            writer.u32(id)
            writer.u32(type)
            writer.bytes(data)
        case .featuresRequest, .getConfigRequest, .barrierRequest, .barrierReply, .getAsyncRequest: break
        case .featuresReply(let features):
            writer.u64(features.datapathID)
            writer.u32(features.bufferCount)
            writer.u8(features.tableCount)
            writer.u8(features.auxiliaryID)
            writer.u16(0)
            writer.u32(features.capabilities)
            writer.u32(0)
        case .flowMod(let flowMod): flowMod.encode(&writer)
        case .packetIn(let packetIn): packetIn.encode(&writer)
        case .packetOut(let packetOut): packetOut.encode(&writer)
        case .flowRemoved(let flowRemoved): flowRemoved.encode(&writer)
        case .portStatus(let reason, let port):
            writer.u8(reason)
            writer.zeros(7)
            port.encode(&writer)
        case .getConfigReply(let config), .setConfig(let config):
            writer.u16(config.flags)
            writer.u16(config.missSendLength)
        case .roleRequest(let role, let generation), .roleReply(let role, let generation):
            writer.u32(role)
            writer.u32(0)
            writer.u64(generation)
        case .getAsyncReply(let config), .setAsync(let config):
            for mask in [config.packetInMask, config.portStatusMask, config.flowRemovedMask] {
                writer.u32(mask.first ?? 0)
                writer.u32(mask.count > 1 ? mask[1] : 0)
            }
        case .groupMod(let groupMod): groupMod.encode(&writer)
        case .portMod(let portMod): portMod.encode(&writer)
        case .tableMod(let table, let config):
            writer.u8(table)
            writer.zeros(3)
            writer.u32(config)
        case .multipartRequest(let flags, let request):
            writer.u16(request.type)
            writer.u16(flags)
            writer.zeros(4)
            request.encode(&writer)
        case .multipartReply(let flags, let reply):
            writer.u16(reply.type)
            writer.u16(flags)
            writer.zeros(4)
            reply.encode(&writer)
        case .meterMod(let meterMod): meterMod.encode(&writer)
        case .other(_, let body): writer.bytes(body)
        }
        writer.setU16(at: 2, UInt16(writer.bytes.count))
        return writer.bytes
    }
}
