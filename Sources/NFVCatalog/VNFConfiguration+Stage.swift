import NFVFirewall
import NFVLoadBalancer
import NFVNAT
import NFVPacket
import NFVPipeline
import NFVQoS
import NFVRouter
import NFVSwitch
import Synchronization

/// What a stage learns from the chain around it when it is built.
public struct StageContext: Sendable {
    /// Chain port numbers by name.
    public var portIndex: [String: UInt16]
    /// The addresses of the chain's router interfaces by chain port name (the first router's,
    /// in stage order, where two serve one port): the source of ICMP errors other stages send.
    public var routerAddresses: [String: [IPv6Address]]
    /// Which worker of how many the stage runs on (state a stage hands out, such as NAT ports,
    /// is split between the workers: `WorkerSteering`).
    public var worker = WorkerShare()
    /// State the workers' copies of a stage share (a policer's rate).
    public var shared = SharedStageState()

    public init(portIndex: [String: UInt16], routerAddresses: [String: [IPv6Address]] = [:]) {
        self.portIndex = portIndex
        self.routerAddresses = routerAddresses
    }

    /// The context of `chain`'s stages.
    public init(chain: LoadedChain) {
        var addresses: [String: [IPv6Address]] = [:]
        for stage in chain.descriptor.stages {
            guard case .router(let router) = chain.configurations[stage.name] else { continue }
            for interface in router.interfaces where addresses[interface.port] == nil {
                addresses[interface.port] = interface.addresses.map(\.address)
            }
        }
        self.init(portIndex: chain.descriptor.portNumbers, routerAddresses: addresses)
        shared = chain.shared
    }
}

/// What the workers' copies of a chain's stages share, made once per loaded chain: a
/// policer's marker (one rate for the chain, whichever worker a packet lands on).
public final class SharedStageState: Sendable {
    let policers = Mutex<[String: PolicerState]>([:])

    public init() {}

    /// The marker of policer stage `stage`, made by the first worker that asks.
    public func policer(_ stage: String, _ configuration: PolicerConfiguration) -> PolicerState {
        policers.withLock { states in
            if let state = states[stage] { return state }
            let state = PolicerState(configuration.algorithm)
            states[stage] = state
            return state
        }
    }
}

extension VNFConfiguration {
    /// A new stage named `name` running this configuration.
    public func makeStage(name: String, context: StageContext) -> any Stage {
        switch self {
        case .decrementTTL: DecrementTTLStage(name: name)
        case .passThrough: PassThroughStage(name: name)
        case .firewall(let configuration):
            FirewallStage(
                name: name, configuration: configuration, portIndex: context.portIndex,
                routerAddresses: context.routerAddresses)
        case .router(let configuration):
            RouterStage(name: name, configuration: configuration, portIndex: context.portIndex)
        case .policer(let configuration):
            PolicerStage(name: name, configuration: configuration, state: context.shared.policer(name, configuration))
        case .loadBalancer(let configuration):
            LoadBalancerStage(name: name, configuration: configuration, portIndex: context.portIndex)
        case .nat(let configuration):
            NATStage(
                name: name, configuration: configuration, portIndex: context.portIndex,
                routerAddresses: context.routerAddresses, portShare: context.worker)
        case .switch(let configuration):
            // The loader parsed every flow against the switch's ports, which the chain has.
            try! configuration.makeStage(name: name, portIndex: context.portIndex)
        }
    }
}
