import Foundation
import NFVLoadBalancer
import NFVPacket
import NFVPipeline
import Testing

/// A load balancer's connections carried into a fresh instance (a restore or a migration):
/// every flow keeps the backend it was pinned to, even where the fresh instance, with another
/// backend set, would pick another one for a new flow; what it takes is what it gives back.
@Suite struct LoadBalancerStateTests {
    typealias Helpers = LoadBalancerStageTests

    @Test func flowsKeepTheirBackendsInAFreshInstance() throws {
        let ports: [String: UInt16] = ["inside": 0, "outside": 1]
        let first = LoadBalancerStage(name: "lb", configuration: Helpers.service(4), portIndex: ports)
        let pinned = try Helpers.send(first, clients: 0..<2000, time: 1)
        let now: UInt64 = 2
        let record = try JSONDecoder().decode(StageStateRecord.self, from: JSONEncoder().encode(first.exportState(now: now)))
        #expect(record.balancedConnections?.count == 2000)

        // Five backends instead of four: Maglev gives many of these flows another backend ...
        let fresh = LoadBalancerStage(name: "lb", configuration: Helpers.service(5), portIndex: ports)
        let rebalanced = try Helpers.send(
            LoadBalancerStage(name: "lb", configuration: Helpers.service(5), portIndex: ports), clients: 0..<2000, time: 3)
        #expect(zip(pinned, rebalanced).filter { $0 != $1 }.count > 200, "the control: a fresh five-backend table moves flows")
        // ... but the fresh instance that took the state keeps each on its backend.
        #expect(try fresh.importState(record, now: now) == 2000)
        #expect(try Helpers.send(fresh, clients: 0..<2000, time: 3) == pinned, "every flow kept its backend")
        #expect(fresh.exportState(now: now).balancedConnections?.count == 2000)

        // A backend that is gone: its flows are left out and balanced anew.
        let without = LoadBalancerStage(name: "lb", configuration: Helpers.service(3), portIndex: ports)
        let kept = try without.importState(record, now: now)
        #expect(kept == pinned.filter { $0 != IPv4Address(10, 0, 2, 14).rawValue }.count, "web4's flows are left out")
    }
}
