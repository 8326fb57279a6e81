import Synchronization

/// What the OpenFlow channels did, for operators (`nfv-dataplane`'s `openflow` control
/// command): messages in and out, errors sent by type and code (OFPFMFC_TABLE_FULL among
/// them: a controller that fills the table is a counted event), FLOW_MODs applied, packets to
/// and from controllers. Shared by every session of an agent; thread-safe.
public final class OpenFlowStatistics: Sendable {
    public struct Counts: Sendable, Equatable, Codable {
        public var connections = 0
        public var messagesReceived: UInt64 = 0
        public var flowModsApplied: UInt64 = 0
        public var packetIns: UInt64 = 0
        public var packetOuts: UInt64 = 0
        /// Errors sent, by "TYPE/CODE" (e.g. "5/1" for OFPFMFC_TABLE_FULL).
        public var errors: [String: UInt64] = [:]
        /// FLOW_MODs refused because the flows were at the configured capacity.
        public var tableFull: UInt64 { errors["5/1"] ?? 0 }
    }

    let counts = Mutex(Counts())

    public init() {}

    /// The counts now.
    public var current: Counts { counts.withLock { $0 } }

    func update(_ change: (inout Counts) -> Void) { counts.withLock { change(&$0) } }
}
