/// A stage's runtime state as a chain snapshot holds it (`nfv-state` format, version 1): what
/// the stage must remember for traffic already under way to keep passing after a restore. Each
/// record is one worker's copy of the stage (state is per worker); times are what is left of
/// them, in milliseconds, so the clock of the process that restores does not matter.
public struct StageStateRecord: Codable, Sendable, Equatable {
    /// The stage's name and VNF kind.
    public var stage: String
    public var kind: String
    /// A stateful firewall's tracked connections.
    public var connections: [ConnectionRecord]?
    /// A NAT's mappings.
    public var natMappings: [NATMappingRecord]?
    /// A router's resolved neighbours (ARP, neighbour discovery).
    public var neighbors: [NeighborRecord]?
    /// A load balancer's connections: which backend each client flow is pinned to.
    public var balancedConnections: [BalancedConnectionRecord]?
    /// A switch's learnt stations.
    public var stations: [StationRecord]?

    public init(
        stage: String, kind: String, connections: [ConnectionRecord]? = nil, natMappings: [NATMappingRecord]? = nil,
        neighbors: [NeighborRecord]? = nil, balancedConnections: [BalancedConnectionRecord]? = nil, stations: [StationRecord]? = nil
    ) {
        self.stage = stage
        self.kind = kind
        self.connections = connections
        self.natMappings = natMappings
        self.neighbors = neighbors
        self.balancedConnections = balancedConnections
        self.stations = stations
    }
}

/// One station a switch learnt: a MAC address in a VLAN behind a port (by name).
public struct StationRecord: Codable, Sendable, Equatable {
    public var mac: String
    public var vlan: Int
    public var port: String
    public var remainingMilliseconds: Int

    public init(mac: String, vlan: Int, port: String, remainingMilliseconds: Int) {
        self.mac = mac
        self.vlan = vlan
        self.port = port
        self.remainingMilliseconds = remainingMilliseconds
    }
}

extension StageStateRecord {
    /// How many entries the record holds, of every kind.
    public var entryCount: Int {
        (connections?.count ?? 0) + (natMappings?.count ?? 0) + (neighbors?.count ?? 0) + (balancedConnections?.count ?? 0)
            + (stations?.count ?? 0)
    }
}

/// One load-balanced flow and the backend it is pinned to (connection affinity).
public struct BalancedConnectionRecord: Codable, Sendable, Equatable {
    public var protocolNumber: Int
    public var client: String
    public var clientPort: Int
    /// The service and backend, by name (`fallback`: the service's fallback).
    public var service: String
    public var backend: String
    /// A FIN or RST was seen (the shorter timeout applies).
    public var closing: Bool
    public var remainingMilliseconds: Int

    public init(
        protocolNumber: Int, client: String, clientPort: Int, service: String, backend: String, closing: Bool, remainingMilliseconds: Int
    ) {
        self.protocolNumber = protocolNumber
        self.client = client
        self.clientPort = clientPort
        self.service = service
        self.backend = backend
        self.closing = closing
        self.remainingMilliseconds = remainingMilliseconds
    }
}

/// One resolved neighbour of a router: where a next hop's frames go without asking again.
public struct NeighborRecord: Codable, Sendable, Equatable {
    public var address: String
    public var mac: String
    /// The router interface (by name) it was learnt on.
    public var interface: String
    /// How long it stays usable before the router asks again.
    public var remainingMilliseconds: Int

    public init(address: String, mac: String, interface: String, remainingMilliseconds: Int) {
        self.address = address
        self.mac = mac
        self.interface = interface
        self.remainingMilliseconds = remainingMilliseconds
    }
}

/// One tracked connection, in its original direction (who opened it, to whom).
public struct ConnectionRecord: Codable, Sendable, Equatable {
    /// The IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...).
    public var protocolNumber: Int
    public var source: String
    public var destination: String
    /// Ports; for ICMP queries the identifier on both.
    public var sourcePort: Int
    public var destinationPort: Int
    /// The 802.1Q VLAN, 0 for none.
    public var vlan: Int
    /// netfilter's name for the state (`ESTABLISHED`, `SYN_SENT`, `UNREPLIED`, ...).
    public var state: String
    /// The first FIN came from the side that opened the connection.
    public var finFromOrigin: Bool
    /// The rule that let it in (`default`, `related`), matched by name on restore.
    public var rule: String
    public var remainingMilliseconds: Int

    public init(
        protocolNumber: Int, source: String, destination: String, sourcePort: Int, destinationPort: Int, vlan: Int, state: String,
        finFromOrigin: Bool, rule: String, remainingMilliseconds: Int
    ) {
        self.protocolNumber = protocolNumber
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.vlan = vlan
        self.state = state
        self.finFromOrigin = finFromOrigin
        self.rule = rule
        self.remainingMilliseconds = remainingMilliseconds
    }
}

/// One NAT mapping: an inside endpoint and the outside address and port it appears as.
public struct NATMappingRecord: Codable, Sendable, Equatable {
    public var protocolNumber: Int
    public var inside: String
    public var insidePort: Int
    public var outside: String
    public var outsidePort: Int
    public var remainingMilliseconds: Int
    /// TCP: the connection got past its handshake (the longer timeout applies).
    public var established: Bool
    /// A packet came back in through it.
    public var repliedTo: Bool
    /// The remote addresses it sent to (address-dependent filtering lets their replies in).
    public var remotes: [String]

    public init(
        protocolNumber: Int, inside: String, insidePort: Int, outside: String, outsidePort: Int, remainingMilliseconds: Int,
        established: Bool, repliedTo: Bool, remotes: [String]
    ) {
        self.protocolNumber = protocolNumber
        self.inside = inside
        self.insidePort = insidePort
        self.outside = outside
        self.outsidePort = outsidePort
        self.remainingMilliseconds = remainingMilliseconds
        self.established = established
        self.repliedTo = repliedTo
        self.remotes = remotes
    }
}

/// A stage whose runtime state a snapshot carries.
public protocol StateSnapshotting: AnyObject {
    /// This worker's state at `now` (live entries only).
    func exportState(now: UInt64) -> StageStateRecord
    /// Takes `record`'s entries into the stage's tables (before traffic flows); returns how many
    /// were taken. Throws when an entry cannot be (a full table, an address it cannot read).
    func importState(_ record: StageStateRecord, now: UInt64) throws(StateImportError) -> Int
}

/// Why a snapshot's state could not be restored.
public struct StateImportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
