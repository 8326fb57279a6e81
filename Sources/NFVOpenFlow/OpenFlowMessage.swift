/// One OpenFlow 1.3 message (the body after the 8-byte header), as `OpenFlowCodec` reads and
/// writes it. Messages the codec does not know yet keep their type and body (`other`), so a
/// caller can answer them with the spec's OFPET_BAD_REQUEST / OFPBRC_BAD_TYPE error.
public enum OpenFlowMessage: Sendable, Equatable {
    /// OFPT_HELLO: the versions the sender speaks (its version bitmap element; none: only the
    /// header's version).
    case hello(versions: [UInt8])
    /// OFPT_ERROR: type, code and (usually) the start of the offending message.
    case error(OpenFlowError)
    case echoRequest([UInt8])
    case echoReply([UInt8])
    /// OFPT_EXPERIMENTER: experimenter id, its type, data.
    case experimenter(id: UInt32, type: UInt32, data: [UInt8])
    case featuresRequest
    case featuresReply(OpenFlowFeatures)
    case getConfigRequest
    case getConfigReply(OpenFlowSwitchConfig)
    case setConfig(OpenFlowSwitchConfig)
    case packetIn(OpenFlowPacketIn)
    case flowRemoved(OpenFlowFlowRemoved)
    /// OFPT_PORT_STATUS: reason (OFPPR_ADD 0, DELETE 1, MODIFY 2) and the port.
    case portStatus(reason: UInt8, port: OpenFlowPort)
    case packetOut(OpenFlowPacketOut)
    /// OFPT_FLOW_MOD.
    case flowMod(OpenFlowFlowMod)
    /// OFPT_GROUP_MOD.
    case groupMod(OpenFlowGroupMod)
    /// OFPT_PORT_MOD.
    case portMod(OpenFlowPortMod)
    /// OFPT_TABLE_MOD: a table (OFPTT_ALL: every table) and its config (deprecated bits only
    /// in 1.3).
    case tableMod(tableID: UInt8, config: UInt32)
    /// OFPT_MULTIPART_REQUEST: flags (OFPMPF_REQ_MORE 1) and the request.
    case multipartRequest(flags: UInt16, OpenFlowMultipartRequest)
    /// OFPT_MULTIPART_REPLY: flags (OFPMPF_REPLY_MORE 1: more messages follow) and the reply.
    case multipartReply(flags: UInt16, OpenFlowMultipartReply)
    case barrierRequest
    case barrierReply
    /// OFPT_ROLE_REQUEST / OFPT_ROLE_REPLY: the role (0 no change, 1 equal, 2 master, 3
    /// slave) and the generation id.
    case roleRequest(role: UInt32, generationID: UInt64)
    case roleReply(role: UInt32, generationID: UInt64)
    case getAsyncRequest
    case getAsyncReply(OpenFlowAsyncConfig)
    case setAsync(OpenFlowAsyncConfig)
    /// OFPT_METER_MOD.
    case meterMod(OpenFlowMeterMod)
    /// A message type this codec does not decode (yet): its type and body as they came.
    case other(type: UInt8, body: [UInt8])

    /// The message type (`ofp_type`).
    public var type: UInt8 {
        switch self {
        case .hello: 0
        case .error: 1
        case .echoRequest: 2
        case .echoReply: 3
        case .experimenter: 4
        case .featuresRequest: 5
        case .featuresReply: 6
        case .getConfigRequest: 7
        case .getConfigReply: 8
        case .setConfig: 9
        case .packetIn: 10
        case .flowRemoved: 11
        case .portStatus: 12
        case .packetOut: 13
        case .flowMod: 14
        case .groupMod: 15
        case .portMod: 16
        case .tableMod: 17
        case .multipartRequest: 18
        case .multipartReply: 19
        case .barrierRequest: 20
        case .barrierReply: 21
        case .roleRequest: 24
        case .roleReply: 25
        case .getAsyncRequest: 26
        case .getAsyncReply: 27
        case .setAsync: 28
        case .meterMod: 29
        case .other(let type, _): type
        }
    }
}

/// OFPT_FEATURES_REPLY's body.
public struct OpenFlowFeatures: Sendable, Equatable {
    public var datapathID: UInt64
    public var bufferCount: UInt32
    public var tableCount: UInt8
    public var auxiliaryID: UInt8
    /// OFPC_* bits (flow, table, port, group stats, IP reassembly, queue stats, port blocked).
    public var capabilities: UInt32

    public init(datapathID: UInt64, bufferCount: UInt32, tableCount: UInt8, auxiliaryID: UInt8, capabilities: UInt32) {
        self.datapathID = datapathID
        self.bufferCount = bufferCount
        self.tableCount = tableCount
        self.auxiliaryID = auxiliaryID
        self.capabilities = capabilities
    }
}

/// OFPT_GET_CONFIG_REPLY's and OFPT_SET_CONFIG's body.
public struct OpenFlowSwitchConfig: Sendable, Equatable {
    /// OFPC_FRAG_* handling of IP fragments.
    public var flags: UInt16
    /// Bytes of a packet sent to the controller in a packet-in (0xffff: all).
    public var missSendLength: UInt16

    public init(flags: UInt16, missSendLength: UInt16) {
        self.flags = flags
        self.missSendLength = missSendLength
    }
}

/// OFPT_GET_ASYNC_REPLY's and OFPT_SET_ASYNC's body: which asynchronous messages a controller
/// gets, each mask as [for master or equal, for slave].
public struct OpenFlowAsyncConfig: Sendable, Equatable {
    public var packetInMask: [UInt32]
    public var portStatusMask: [UInt32]
    public var flowRemovedMask: [UInt32]

    public init(packetInMask: [UInt32], portStatusMask: [UInt32], flowRemovedMask: [UInt32]) {
        self.packetInMask = packetInMask
        self.portStatusMask = portStatusMask
        self.flowRemovedMask = flowRemovedMask
    }
}
