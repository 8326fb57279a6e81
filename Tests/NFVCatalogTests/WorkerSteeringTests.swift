import Foundation
import NFVCatalog
import NFVDescriptors
import NFVTestSupport
import Testing

/// Which chains may run on several workers: a NAT and a load balancer agree on their sides, or
/// the chain is refused when it is loaded (validate, plan and deploy alike), with the place.
@Suite struct WorkerSteeringTests {
    static func chain(workers: Int, balancerClients: String) throws -> (URL, String) {
        let directory = try Fixtures.temporaryDirectory()
        let configs = Fixtures.root.appendingPathComponent("vnf-configs").path
        try """
        apiVersion: nfv/v1
        kind: LoadBalancerConfig
        metadata: { name: lb }
        spec:
          clients: \(balancerClients)
          backends: \(balancerClients == "inside" ? "outside" : "inside")
          services:
            - { name: web, vip: "198.51.100.10:80/tcp", mode: nat, backends: [{ name: a, address: "10.0.1.10:80" }] }
        """.write(to: directory.appendingPathComponent("lb.yaml"), atomically: true, encoding: .utf8)
        let path = directory.appendingPathComponent("chain.yaml").path
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: steer }
        spec:
          workers: \(workers)
          ports:
            - { name: inside,  type: tap, ifname: st-in }
            - { name: outside, type: tap, ifname: st-out }
          stages:
            - { name: lb,  vnf: load-balancer, config: lb.yaml }
            - { name: nat, vnf: nat,           config: \(configs)/edge-nat.yaml }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    @Test func agreeingSidesRunOnTwoWorkers() throws {
        let (directory, path) = try Self.chain(workers: 2, balancerClients: "inside")
        defer { try? FileManager.default.removeItem(at: directory) }
        let steering = WorkerSteering(chain: try LoadedChain.load(path: path))
        #expect(steering.conflict == nil)
        #expect(steering.sides == [.inside, .outside])
    }

    @Test func contradictingSidesAreRefusedWithThePlace() throws {
        let (directory, path) = try Self.chain(workers: 2, balancerClients: "outside")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect {
            _ = try LoadedChain.load(path: path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("chain.yaml:11:") && text.contains("stage nat") && text.contains("2 workers")
                && text.contains("queues: 1")
        }
        // On one worker nothing needs splitting: the same chain loads.
        let (single, singlePath) = try Self.chain(workers: 1, balancerClients: "outside")
        defer { try? FileManager.default.removeItem(at: single) }
        #expect(WorkerSteering(chain: try LoadedChain.load(path: singlePath)).conflict != nil)
    }
}
