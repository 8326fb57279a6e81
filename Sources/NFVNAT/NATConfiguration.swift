import NFVPacket

/// A NAT instance's configuration (`kind: NatConfig`): which chain ports face inside and
/// outside, the public address pool, source NAT rules, static forwards, behaviour and timeouts.
public struct NATConfiguration: Sendable, Equatable {
    /// How inbound packets to a mapping are filtered (RFC 4787 section 5).
    public enum Filtering: String, Sendable, CaseIterable {
        /// Any remote host may send to a mapping (REQ-8, transparency).
        case endpointIndependent = "endpoint-independent"
        /// Only hosts the inside endpoint has sent to (REQ-8, security).
        case addressDependent = "address-dependent"
    }

    /// Source NAT for inside hosts whose address matches.
    public struct SourceRule: Sendable, Equatable {
        public var name: String
        /// Inside source prefixes the rule applies to (IPv4).
        public var sourcePrefixes: [IPPrefix]
        /// Outside ports to allocate from.
        public var ports: PortRange
        public init(name: String, sourcePrefixes: [IPPrefix], ports: PortRange) {
            self.name = name
            self.sourcePrefixes = sourcePrefixes
            self.ports = ports
        }
    }

    /// A static forward (DNAT): traffic to `external` goes to `internal`, and the internal
    /// host's replies and its own connections appear from `external`. Three scopes, the most
    /// specific first when several match: a port forward (a protocol and both ports), a
    /// protocol forward (a protocol, no ports: every TCP or UDP port, or ICMP echo with its
    /// identifier kept, as `ip protocol icmp dnat to` in nftables), a whole-address forward.
    public struct Forward: Sendable, Equatable {
        public var name: String
        /// TCP, UDP or ICMP; nil for a whole-address forward.
        public var ipProtocol: UInt8?
        public var externalAddress: IPv4Address
        public var externalPort: UInt16?
        public var internalAddress: IPv4Address
        public var internalPort: UInt16?
        public init(
            name: String, ipProtocol: UInt8?, externalAddress: IPv4Address, externalPort: UInt16?,
            internalAddress: IPv4Address, internalPort: UInt16?
        ) {
            self.name = name
            self.ipProtocol = ipProtocol
            self.externalAddress = externalAddress
            self.externalPort = externalPort
            self.internalAddress = internalAddress
            self.internalPort = internalPort
        }
    }

    /// Idle timeouts in seconds (RFC 4787 REQ-5: UDP >= 120; RFC 5382 REQ-5: TCP established
    /// >= 7440, transitory >= 240; RFC 5508 REQ-1: ICMP query >= 60).
    public struct Timeouts: Sendable, Equatable {
        public var udp: UInt64 = 300
        public var tcpEstablished: UInt64 = 7440
        public var tcpTransitory: UInt64 = 240
        public var icmp: UInt64 = 60
        public init() {}
    }

    public var name: String
    /// The chain port facing the private network.
    public var insidePort: String
    /// The chain port facing the public network.
    public var outsidePort: String
    /// Public addresses (an inside host always uses the same one: paired pooling, REQ-2).
    public var pool: [IPv4Address]
    public var sourceRules: [SourceRule]
    public var forwards: [Forward]
    public var filtering: Filtering
    /// Let inside hosts reach each other through their public mappings (REQ-9).
    public var hairpin: Bool
    /// The most mappings at once.
    public var maximumMappings: Int
    public var timeouts: Timeouts
    /// When no mapping can be made (ports or mapping table exhausted): besides the counted
    /// drop, tell the sender with an ICMP destination unreachable, code 13 (communication
    /// administratively prohibited), as RFC 5508 REQ-8 recommends.
    public var unreachableOnExhaustion: Bool

    public init(
        name: String, insidePort: String, outsidePort: String, pool: [IPv4Address], sourceRules: [SourceRule],
        forwards: [Forward] = [], filtering: Filtering = .endpointIndependent, hairpin: Bool = true,
        maximumMappings: Int = 65_536, timeouts: Timeouts = Timeouts(), unreachableOnExhaustion: Bool = false
    ) {
        self.name = name
        self.insidePort = insidePort
        self.outsidePort = outsidePort
        self.pool = pool
        self.sourceRules = sourceRules
        self.forwards = forwards
        self.filtering = filtering
        self.hairpin = hairpin
        self.maximumMappings = maximumMappings
        self.timeouts = timeouts
        self.unreachableOnExhaustion = unreachableOnExhaustion
    }
}
