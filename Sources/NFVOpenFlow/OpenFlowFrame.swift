/// A whole OpenFlow message as it crosses the channel: the header's version and transaction
/// id, and the message.
public struct OpenFlowFrame: Sendable, Equatable {
    /// OpenFlow 1.3's wire version.
    public static let version13: UInt8 = 4

    public var version: UInt8
    /// The transaction id: a reply carries its request's.
    public var xid: UInt32
    public var message: OpenFlowMessage

    public init(version: UInt8 = OpenFlowFrame.version13, xid: UInt32, message: OpenFlowMessage) {
        self.version = version
        self.xid = xid
        self.message = message
    }
}
