import NFVPacket

/// A switch stage's OpenFlow channel (`openflow:` in its SwitchConfig): the datapath id it
/// announces, where it listens for controllers and tools (ovs-ofctl connects there), which
/// controllers it connects to, and what it does while no controller is connected.
public struct OpenFlowSettings: Sendable, Equatable {
    /// Where a channel listens or connects: `tcp:IP:PORT` (IPv4; the port defaults to 6653)
    /// or `unix:PATH`.
    public enum Endpoint: Sendable, Equatable, CustomStringConvertible {
        case tcp(address: IPv4Address, port: UInt16)
        case unix(path: String)

        /// OpenFlow's IANA port.
        public static let defaultPort: UInt16 = 6653

        /// Parses `tcp:IP[:PORT]` or `unix:PATH`; nil when it is neither.
        public init?(_ text: String) {
            if text.hasPrefix("unix:") {
                let path = String(text.dropFirst(5))
                guard path.hasPrefix("/"), path.utf8.count < 108 else { return nil }
                self = .unix(path: path)
                return
            }
            guard text.hasPrefix("tcp:") else { return nil }
            let parts = text.dropFirst(4).split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let address = IPv4Address(String(parts[0])) else { return nil }
            var port = Self.defaultPort
            if parts.count == 2 {
                guard let given = UInt16(parts[1]), given > 0 else { return nil }
                port = given
            }
            self = .tcp(address: address, port: port)
        }

        public var description: String {
            switch self {
            case .tcp(let address, let port): "tcp:\(address):\(port)"
            case .unix(let path): "unix:\(path)"
            }
        }
    }

    /// What the switch does while no controller is connected: `secure` keeps the flows as
    /// the controllers left them; `standalone` forwards as a learning switch (a NORMAL flow with
    /// `failOpenCookie`) from the start until a controller connects, and again once none has
    /// been connected for a while.
    public enum FailMode: String, Sendable, Equatable, CaseIterable {
        case secure, standalone
    }

    /// The cookie of the fail-open flow (`priority=0,actions=normal`) of a standalone switch:
    /// "FAILOPEN" in ASCII, so a controller can tell it from its own flows.
    public static let failOpenCookie: UInt64 = 0x4641_494C_4F50_454E

    public var datapathID: UInt64
    public var listen: [Endpoint]
    public var controllers: [Endpoint]
    public var failMode: FailMode
    /// Flows the switch holds at most, over all tables (an ADD beyond is OFPFMFC_TABLE_FULL).
    public var flowCapacity: Int
    /// Flow tables (0 ..< tableCount).
    public var tableCount: Int

    public init(
        datapathID: UInt64, listen: [Endpoint], controllers: [Endpoint] = [], failMode: FailMode = .secure, flowCapacity: Int = 8192,
        tableCount: Int = 8
    ) {
        self.datapathID = datapathID
        self.listen = listen
        self.controllers = controllers
        self.failMode = failMode
        self.flowCapacity = flowCapacity
        self.tableCount = tableCount
    }
}
