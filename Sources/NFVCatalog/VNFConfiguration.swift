import NFVFirewall
import NFVLoadBalancer
import NFVNAT
import NFVQoS
import NFVRouter
import NFVSwitch

/// One stage's VNF configuration, typed by kind: what a chain holds per stage
/// (`LoadedChain.configurations`). Kinds without a configuration file are cases without a
/// payload. Building the stage, live updates, plan lines and extra counters are extensions
/// over this enum, one file per operation.
public enum VNFConfiguration: Sendable, Equatable {
    case decrementTTL
    case passThrough
    case firewall(FirewallConfiguration)
    case loadBalancer(LoadBalancerConfiguration)
    case nat(NATConfiguration)
    case policer(PolicerConfiguration)
    case router(RouterConfiguration)
    case `switch`(SwitchConfiguration)

    /// The kind this configuration is for.
    public var kind: VNFKind {
        switch self {
        case .decrementTTL: .decrementTTL
        case .passThrough: .passThrough
        case .firewall: .firewall
        case .loadBalancer: .loadBalancer
        case .nat: .nat
        case .policer: .policer
        case .router: .router
        case .switch: .switch
        }
    }
}
