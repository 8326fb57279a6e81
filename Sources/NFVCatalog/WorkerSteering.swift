import NFVDescriptors
import NFVLoadBalancer
import NFVNAT
import NFVPacket

/// What the workers of a chain must agree on so that every packet of a connection reaches the
/// worker holding its state, when a stage rewrites the tuple (NAT, the load balancer).
///
/// The symmetric flow hash cannot do it: after a NAT's translation a reply has another tuple.
/// What both directions keep is the endpoint on the inside (client) side, so each chain port
/// gets a side:
///
/// - **inside** (a NAT's inside port, a load balancer's client port): a packet is keyed by its
///   source endpoint (address, TCP/UDP port or ICMP query identifier, protocol);
/// - **outside** (a NAT's outside port, a load balancer's backend port): a packet is keyed by
///   its destination endpoint, the inside endpoint it returns to;
/// - on either side, a packet to one of the NAT's own addresses belongs to the worker that owns
///   its destination port (port modulo the worker count: each worker's NAT hands out only the
///   ports it owns, as VPP's NAT does), or, for a static forward, to the forward's internal
///   endpoint (so a hairpinned connection, translated twice, stays on one worker).
///
/// Ports with no side keep the symmetric flow hash. An ICMP error is steered as the packet it
/// quotes would be coming back. Two stages that give one port both sides (a load balancer
/// whose clients are on the NAT's outside) cannot share workers: `conflict` says why.
public struct WorkerSteering: Sendable, Equatable {
    /// Which side of the tuple-rewriting stages a chain port is on.
    public enum Side: Sendable, Equatable {
        case inside, outside
    }

    /// A NAT's static forward: what arrives for the external endpoint belongs with the internal one.
    public struct Forward: Sendable, Equatable {
        /// nil: every protocol.
        public var ipProtocol: UInt8?
        public var externalAddress: UInt32
        /// nil: every port (the internal port is then the same).
        public var externalPort: UInt16?
        public var internalAddress: UInt32
        public var internalPort: UInt16?
    }

    /// Each chain port's side, by port number (nil: no side); empty when no stage needs one.
    public var sides: [Side?] = []
    /// The NATs' own addresses, pool and forwards (host byte order): a handful, so a packet's
    /// destination is looked for by a scan, not a hash.
    public var natAddresses: [UInt32] = []
    /// The NATs' static forwards.
    public var forwards: [Forward] = []
    /// Why the chain's stages cannot share their state out this way, or nil.
    public var conflict: String?
    /// The stage whose sides contradict an earlier stage's, when there is a conflict.
    public var conflictingStage: String?

    /// True when no stage rewrites the tuple: the symmetric flow hash steers everything.
    public var isEmpty: Bool { sides.isEmpty }

    /// The side of chain port `port`, if it has one.
    @inlinable
    public func side(ofPort port: UInt16) -> Side? {
        Int(port) < sides.count ? sides[Int(port)] : nil
    }

    /// No endpoint steering: the symmetric flow hash everywhere.
    public init() {}

    /// The steering `chain`'s NAT and load-balancer stages need.
    public init(chain: LoadedChain) {
        let ports = chain.descriptor.portNumbers
        var claimed: [UInt16: (side: Side, stage: String)] = [:]
        func claim(_ portName: String, _ side: Side, stage: String) {
            guard let port = ports[portName] else { return }
            if let earlier = claimed[port], earlier.side != side {
                conflict =
                    "port \(portName) is on the \(earlier.side == .inside ? "inside" : "outside") of stage \(earlier.stage) "
                    + "and on the \(side == .inside ? "inside" : "outside") of stage \(stage), so no endpoint names "
                    + "one worker for both"
                conflictingStage = conflictingStage ?? stage
                return
            }
            claimed[port] = (side, stage)
            if sides.isEmpty { sides = Array(repeating: nil, count: ports.count) }
            sides[Int(port)] = side
        }
        for stage in chain.descriptor.stages {
            switch chain.configurations[stage.name] {
            case .nat(let nat):
                claim(nat.insidePort, .inside, stage: stage.name)
                claim(nat.outsidePort, .outside, stage: stage.name)
                for address in nat.pool.map(\.rawValue) + nat.forwards.map(\.externalAddress.rawValue)
                where !natAddresses.contains(address) {
                    natAddresses.append(address)
                }
                forwards += nat.forwards.map {
                    Forward(
                        ipProtocol: $0.ipProtocol, externalAddress: $0.externalAddress.rawValue, externalPort: $0.externalPort,
                        internalAddress: $0.internalAddress.rawValue, internalPort: $0.internalPort)
                }
            case .loadBalancer(let balancer):
                claim(balancer.clientPort, .inside, stage: stage.name)
                claim(balancer.backendPort, .outside, stage: stage.name)
            default:
                break
            }
        }
    }
}
