/// OFPT_PORT_MOD's body: change a port's config bits (e.g. OFPPC_PORT_DOWN) under a mask.
public struct OpenFlowPortMod: Sendable, Equatable {
    public var portNumber: UInt32
    /// Must be the port's address (a check against configuring the wrong port).
    public var hardwareAddress: [UInt8]
    public var config: UInt32
    /// Which bits of `config` to change.
    public var mask: UInt32
    public var advertise: UInt32

    public init(portNumber: UInt32, hardwareAddress: [UInt8], config: UInt32, mask: UInt32, advertise: UInt32 = 0) {
        self.portNumber = portNumber
        self.hardwareAddress = hardwareAddress
        self.config = config
        self.mask = mask
        self.advertise = advertise
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowPortMod {
        try reader.need(32)
        let port = reader.u32()
        try reader.skip(4)
        let address = try reader.paddedHardwareAddress()
        let config = reader.u32()
        let mask = reader.u32()
        let advertise = reader.u32()
        try reader.skip(4)
        return OpenFlowPortMod(portNumber: port, hardwareAddress: address, config: config, mask: mask, advertise: advertise)
    }

    func encode(_ writer: inout WireWriter) {
        writer.u32(portNumber)
        writer.zeros(4)
        writer.paddedHardwareAddress(hardwareAddress)
        writer.u32(config)
        writer.u32(mask)
        writer.u32(advertise)
        writer.zeros(4)
    }
}
