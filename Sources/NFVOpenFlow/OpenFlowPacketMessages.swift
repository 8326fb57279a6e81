/// OFPT_PACKET_IN's body: a packet the switch sends to the controller.
public struct OpenFlowPacketIn: Sendable, Equatable {
    public var bufferID: UInt32
    /// The packet's full length (the data may be cut to the controller's max_len).
    public var totalLength: UInt16
    /// OFPR_NO_MATCH 0, ACTION 1, INVALID_TTL 2.
    public var reason: UInt8
    public var tableID: UInt8
    /// The matching flow's cookie (Faucet ignores packet-ins whose cookie is not its own).
    public var cookie: UInt64
    /// in_port and the other pipeline fields.
    public var match: OpenFlowMatch
    public var data: [UInt8]

    public init(
        bufferID: UInt32 = 0xFFFF_FFFF, totalLength: UInt16, reason: UInt8, tableID: UInt8, cookie: UInt64, match: OpenFlowMatch,
        data: [UInt8]
    ) {
        self.bufferID = bufferID
        self.totalLength = totalLength
        self.reason = reason
        self.tableID = tableID
        self.cookie = cookie
        self.match = match
        self.data = data
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowPacketIn {
        try reader.need(16)
        let buffer = reader.u32()
        let total = reader.u16()
        let reason = reader.u8()
        let table = reader.u8()
        let cookie = reader.u64()
        let match = try OpenFlowMatch.decode(&reader)
        try reader.skip(2)
        return OpenFlowPacketIn(
            bufferID: buffer, totalLength: total, reason: reason, tableID: table, cookie: cookie, match: match, data: reader.rest())
    }

    func encode(_ writer: inout WireWriter) {
        writer.u32(bufferID)
        writer.u16(totalLength)
        writer.u8(reason)
        writer.u8(tableID)
        writer.u64(cookie)
        match.encode(&writer)
        writer.zeros(2)
        writer.bytes(data)
    }
}

/// OFPT_PACKET_OUT's body: a packet the controller has the switch send.
public struct OpenFlowPacketOut: Sendable, Equatable {
    public var bufferID: UInt32
    /// The port the packet counts as arriving on (OFPP_CONTROLLER when none).
    public var inPort: UInt32
    public var actions: [OpenFlowAction]
    public var data: [UInt8]

    public init(bufferID: UInt32 = 0xFFFF_FFFF, inPort: UInt32, actions: [OpenFlowAction], data: [UInt8]) {
        self.bufferID = bufferID
        self.inPort = inPort
        self.actions = actions
        self.data = data
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowPacketOut {
        try reader.need(16)
        let buffer = reader.u32()
        let inPort = reader.u32()
        let actionsLength = Int(reader.u16())
        try reader.skip(6)
        var actionBytes = try reader.take(actionsLength)
        return OpenFlowPacketOut(
            bufferID: buffer, inPort: inPort, actions: try OpenFlowAction.decodeList(&actionBytes), data: reader.rest())
    }

    func encode(_ writer: inout WireWriter) {
        writer.u32(bufferID)
        writer.u32(inPort)
        var actionWriter = WireWriter()
        for action in actions { action.encode(&actionWriter) }
        writer.u16(UInt16(actionWriter.bytes.count))
        writer.zeros(6)
        writer.bytes(actionWriter.bytes)
        writer.bytes(data)
    }
}

/// OFPT_FLOW_REMOVED's body: a flow that timed out or was deleted, with its counters.
public struct OpenFlowFlowRemoved: Sendable, Equatable {
    public var cookie: UInt64
    public var priority: UInt16
    /// OFPRR_IDLE_TIMEOUT 0, HARD_TIMEOUT 1, DELETE 2, GROUP_DELETE 3, METER_DELETE 4.
    public var reason: UInt8
    public var tableID: UInt8
    public var durationSeconds: UInt32
    public var durationNanoseconds: UInt32
    public var idleTimeout: UInt16
    public var hardTimeout: UInt16
    public var packetCount: UInt64
    public var byteCount: UInt64
    public var match: OpenFlowMatch

    public init(
        cookie: UInt64, priority: UInt16, reason: UInt8, tableID: UInt8, durationSeconds: UInt32, durationNanoseconds: UInt32,
        idleTimeout: UInt16, hardTimeout: UInt16, packetCount: UInt64, byteCount: UInt64, match: OpenFlowMatch
    ) {
        self.cookie = cookie
        self.priority = priority
        self.reason = reason
        self.tableID = tableID
        self.durationSeconds = durationSeconds
        self.durationNanoseconds = durationNanoseconds
        self.idleTimeout = idleTimeout
        self.hardTimeout = hardTimeout
        self.packetCount = packetCount
        self.byteCount = byteCount
        self.match = match
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowFlowRemoved {
        try reader.need(40)
        let cookie = reader.u64()
        let priority = reader.u16()
        let reason = reader.u8()
        let table = reader.u8()
        let seconds = reader.u32()
        let nanoseconds = reader.u32()
        let idle = reader.u16()
        let hard = reader.u16()
        let packets = reader.u64()
        let bytes = reader.u64()
        let match = try OpenFlowMatch.decode(&reader)
        guard reader.remaining == 0 else { throw WireReader.Short() }
        return OpenFlowFlowRemoved(
            cookie: cookie, priority: priority, reason: reason, tableID: table, durationSeconds: seconds,
            durationNanoseconds: nanoseconds, idleTimeout: idle, hardTimeout: hard, packetCount: packets, byteCount: bytes,
            match: match)
    }

    func encode(_ writer: inout WireWriter) {
        writer.u64(cookie)
        writer.u16(priority)
        writer.u8(reason)
        writer.u8(tableID)
        writer.u32(durationSeconds)
        writer.u32(durationNanoseconds)
        writer.u16(idleTimeout)
        writer.u16(hardTimeout)
        writer.u64(packetCount)
        writer.u64(byteCount)
        match.encode(&writer)
    }
}

/// `ofp_port`: a switch port as PORT_STATUS and PORT_DESC describe it.
public struct OpenFlowPort: Sendable, Equatable {
    public var portNumber: UInt32
    public var hardwareAddress: [UInt8]
    /// Up to 16 bytes, NUL-padded on the wire.
    public var name: String
    /// OFPPC_* (PORT_DOWN 1, NO_RECV 4, NO_FWD 32, NO_PACKET_IN 64).
    public var config: UInt32
    /// OFPPS_* (LINK_DOWN 1, BLOCKED 2, LIVE 4).
    public var state: UInt32
    public var current: UInt32
    public var advertised: UInt32
    public var supported: UInt32
    public var peer: UInt32
    /// kbit/s.
    public var currentSpeed: UInt32
    public var maximumSpeed: UInt32

    public init(
        portNumber: UInt32, hardwareAddress: [UInt8], name: String, config: UInt32 = 0, state: UInt32 = 0, current: UInt32 = 0,
        advertised: UInt32 = 0, supported: UInt32 = 0, peer: UInt32 = 0, currentSpeed: UInt32 = 0, maximumSpeed: UInt32 = 0
    ) {
        self.portNumber = portNumber
        self.hardwareAddress = hardwareAddress
        self.name = name
        self.config = config
        self.state = state
        self.current = current
        self.advertised = advertised
        self.supported = supported
        self.peer = peer
        self.currentSpeed = currentSpeed
        self.maximumSpeed = maximumSpeed
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowPort {
        try reader.need(64)
        let number = reader.u32()
        try reader.skip(4)
        let address = try reader.paddedHardwareAddress()
        let name = try reader.fixedString(16)
        let values = (0..<8).map { _ in reader.u32() }
        return OpenFlowPort(
            portNumber: number, hardwareAddress: address, name: name, config: values[0], state: values[1], current: values[2],
            advertised: values[3], supported: values[4], peer: values[5], currentSpeed: values[6], maximumSpeed: values[7])
    }

    func encode(_ writer: inout WireWriter) {
        writer.u32(portNumber)
        writer.zeros(4)
        writer.paddedHardwareAddress(hardwareAddress)
        writer.fixedString(name, count: 16)
        for value in [config, state, current, advertised, supported, peer, currentSpeed, maximumSpeed] { writer.u32(value) }
    }
}
