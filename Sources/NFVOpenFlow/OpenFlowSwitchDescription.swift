/// OFPMP_DESC's reply (`ofp_desc`): text fields of fixed size, NUL-padded.
public struct OpenFlowSwitchDescription: Sendable, Equatable {
    public var manufacturer: String
    public var hardware: String
    public var software: String
    public var serialNumber: String
    /// A human-readable description of the datapath.
    public var datapath: String

    public init(manufacturer: String, hardware: String, software: String, serialNumber: String, datapath: String) {
        self.manufacturer = manufacturer
        self.hardware = hardware
        self.software = software
        self.serialNumber = serialNumber
        self.datapath = datapath
    }

    static func decode(_ reader: inout WireReader) throws(WireReader.Short) -> OpenFlowSwitchDescription {
        OpenFlowSwitchDescription(
            manufacturer: try reader.fixedString(256), hardware: try reader.fixedString(256), software: try reader.fixedString(256),
            serialNumber: try reader.fixedString(32), datapath: try reader.fixedString(256))
    }

    func encode(_ writer: inout WireWriter) {
        writer.fixedString(manufacturer, count: 256)
        writer.fixedString(hardware, count: 256)
        writer.fixedString(software, count: 256)
        writer.fixedString(serialNumber, count: 32)
        writer.fixedString(datapath, count: 256)
    }
}
