/// An OpenFlow error (OFPT_ERROR's body), and what the codec throws for a message it cannot
/// take: the spec's type and code, and the data a reply carries (the offending message's
/// first 64 bytes at least, so the controller can match it by its xid).
public struct OpenFlowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `ofp_error_type`; 0xffff: an experimenter error.
    public var type: UInt16
    /// `code` for the type (for an experimenter error: its `exp_type`).
    public var code: UInt16
    /// An experimenter error's experimenter id.
    public var experimenter: UInt32?
    public var data: [UInt8]

    public init(type: UInt16, code: UInt16, experimenter: UInt32? = nil, data: [UInt8] = []) {
        self.type = type
        self.code = code
        self.experimenter = experimenter
        self.data = data
    }

    // OFPET_* types and the codes this codec raises.
    public static let helloFailed: UInt16 = 0
    public static let badRequest: UInt16 = 1
    /// OFPHFC_INCOMPATIBLE: no common version.
    public static func incompatible(_ data: [UInt8] = []) -> Self { .init(type: helloFailed, code: 0, data: data) }
    /// OFPBRC_BAD_VERSION: the header's version is not 1.3's.
    public static func badVersion(_ data: [UInt8]) -> Self { .init(type: badRequest, code: 0, data: data) }
    /// OFPBRC_BAD_TYPE: a message type the switch does not support.
    public static func badType(_ data: [UInt8]) -> Self { .init(type: badRequest, code: 1, data: data) }
    /// OFPBRC_BAD_LEN: the length is wrong for the type.
    public static func badLength(_ data: [UInt8]) -> Self { .init(type: badRequest, code: 6, data: data) }

    public var description: String {
        experimenter.map { "OpenFlow experimenter error \($0) type \(code)" } ?? "OpenFlow error type \(type) code \(code)"
    }
}
