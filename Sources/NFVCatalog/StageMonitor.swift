import NFVLoadBalancer
import NFVPipeline

/// Work a running stage needs beside the workers (today: a load balancer's health checks),
/// started with the chain and stopped before it stops or its configuration changes.
public protocol StageMonitor: AnyObject, Sendable {
    /// Ends the work and waits for its threads.
    func stop()
}

extension HealthMonitor: StageMonitor {}

extension VNFConfiguration {
    /// Starts what the running `stage` of this configuration needs beside the workers, or nil
    /// when it needs nothing. `threadSetup(port)` is what a thread working toward chain port
    /// `port` runs first (a live chain enters the port's network namespace there).
    public func startMonitor(
        for stage: any Stage,
        threadSetup: (_ port: String) -> (@Sendable () -> Void)?
    ) -> (any StageMonitor)? {
        switch self {
        case .loadBalancer(let configuration):
            guard let balancer = stage.unwrapped as? LoadBalancerStage,
                configuration.services.contains(where: { $0.healthCheck != nil })
            else { return nil }
            return HealthMonitor(stage: balancer, configuration: configuration, threadSetup: threadSetup(configuration.backendPort))
        case .decrementTTL, .passThrough, .firewall, .nat, .policer, .router, .switch:
            return nil
        }
    }
}
