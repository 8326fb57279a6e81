import Foundation
import NFVDescriptors
import NFVIO
import NFVLoadBalancer
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVTestSupport
import Testing

@Suite struct LoadBalancerStageTests {
    /// The scapy scenario: NAT mode both ways, DSR, traffic for no service.
    @Test func natAndDSRModesMatchScapy() throws {
        let result = try TwoPortReplay.run(
            fixture: "lb", stage: "lb", vnf: "load-balancer", config: "Tests/Fixtures/lb/lb.yaml",
            batchSize: 256)
        let inside = CaptureComparison(actual: result.inside, expected: try Fixtures.frames("lb-inside-tx-expected.pcap"))
        let outside = CaptureComparison(actual: result.outside, expected: try Fixtures.frames("lb-outside-tx-expected.pcap"))
        #expect(inside.matches, "\(inside.text(expectedPath: "inside"))")
        #expect(outside.matches, "\(outside.text(expectedPath: "outside"))")
    }

    static let vip = IPv4Address(203, 0, 113, 10)

    static func service(_ count: Int) -> LoadBalancerConfiguration {
        let backends = (1...count).map {
            LoadBalancerConfiguration.Backend(name: "web\($0)", address: IPv4Address(10, 0, 2, UInt8(10 + $0)), port: 8080)
        }
        return LoadBalancerConfiguration(
            name: "t", clientPort: "outside", backendPort: "inside",
            services: [
                .init(
                    name: "web", vip: vip, port: 80, ipProtocol: IPProtocol.tcp,
                    mode: .nat, backends: backends,
                    fallback: .init(name: "sorry", address: IPv4Address(10, 0, 2, 99), port: 8080))
            ])
    }

    /// A TCP ACK from client `index` to the VIP (hand-built; only the chosen backend is checked).
    static func clientFrame(_ index: Int, time: UInt64) -> MemoryPort.Frame {
        var bytes = [UInt8](repeating: 0, count: 54)
        bytes.withUnsafeMutableBytes { buffer in
            let frame = buffer.baseAddress!
            EthernetHeader(frame).etherType = EtherType.ipv4
            frame.storeByte(0x45, at: 14)
            let ip = IPv4Header(frame + 14)
            ip.totalLength = 40
            ip.ttl = 64
            frame.storeByte(IPProtocol.tcp, at: 23)
            ip.source = IPv4Address(rawValue: 0xC633_0000 + UInt32(index / 1000))
            ip.destination = vip
            ip.updateChecksum()
            TCPHeader(frame + 34).sourcePort = UInt16(1024 + index % 1000)
            TCPHeader(frame + 34).destinationPort = 80
            frame.storeByte(0x50, at: 46)
            frame.storeByte(TCPFlags.ack.rawValue, at: 47)
        }
        return MemoryPort.Frame(bytes: bytes, timestamp: time)
    }

    /// Sends clients 0..<count through the stage; returns the backend address each one reached.
    static func send(_ stage: LoadBalancerStage, clients: Range<Int>, time: UInt64) throws -> [UInt32] {
        try send(stage, frames: clients.map { clientFrame($0, time: time) }).backends
    }

    /// Sends `frames` from the client side; returns the backend address of every frame that
    /// reached the backend side, and the load balancer's drop counters.
    static func send(_ stage: LoadBalancerStage, frames: [MemoryPort.Frame]) throws -> (backends: [UInt32], drops: DropCounters) {
        let pool = PacketPool(slotCount: 1024)
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let backendsSide = MemoryPort(portNumber: 0)
        let clientsSide = MemoryPort(frames: frames, portNumber: 1)
        try Pipeline(sources: [clientsSide], chain: chain, sinks: [backendsSide, clientsSide], batch: PacketBatch(pool: pool))
            .runUntilExhausted()
        let backends = backendsSide.transmitted.map { frame in
            frame.bytes.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(fromByteOffset: 30, as: UInt32.self)) }
        }
        return (backends, chain.counters[1].drops)
    }

    static let second: UInt64 = 1_000_000_000

    /// A full connection table is a counted drop (`lb_table_full`), never a crash or a reused
    /// live entry; once connections expire their slots are reclaimed for new flows.
    @Test func fullTableIsCountedAndExpiredSlotsAreReclaimed() throws {
        var configuration = Self.service(3)
        configuration.connectionCapacity = 16
        let stage = LoadBalancerStage(name: "lb", configuration: configuration, portIndex: ["inside": 0, "outside": 1])
        let first = try Self.send(stage, frames: (0..<20).map { Self.clientFrame($0, time: 1) })
        #expect(first.backends.count == 16)
        #expect(first.drops[.lbTableFull] == 4)
        #expect(stage.connectionCount == 16)
        // Still live one second later: the 16 tracked flows pass, a new one is refused.
        let live = try Self.send(stage, frames: (0..<17).map { Self.clientFrame($0, time: 1 + Self.second) })
        #expect(live.backends.count == 16)
        #expect(live.drops[.lbTableFull] == 1)
        // After the TCP idle timeout (7440 s) every slot is free again.
        let later = 2 + 7441 * Self.second
        let fresh = try Self.send(stage, frames: (100..<116).map { Self.clientFrame($0, time: later) })
        #expect(fresh.backends.count == 16)
        #expect(fresh.drops.total == 0)
    }

    /// After a FIN the connection lives only the closing timeout (10 s): a packet of the same
    /// 5-tuple 11 s later is a new flow (counted as a new assignment), one 5 s later is not.
    @Test func finShortensTheConnectionLifetime() throws {
        let stage = LoadBalancerStage(name: "lb", configuration: Self.service(3), portIndex: ["inside": 0, "outside": 1])
        func assigned() -> UInt64 { stage.assignments["web"]?.values.reduce(0, +) ?? 0 }
        var fin = Self.clientFrame(0, time: 2 * Self.second)
        fin.bytes[47] = TCPFlags.fin.rawValue | TCPFlags.ack.rawValue
        _ = try Self.send(stage, frames: [Self.clientFrame(0, time: Self.second), fin])
        #expect(assigned() == 1)
        _ = try Self.send(stage, frames: [Self.clientFrame(0, time: 7 * Self.second)])
        #expect(assigned() == 1, "5 s after the FIN the connection is still tracked")
        _ = try Self.send(stage, frames: [Self.clientFrame(0, time: 18 * Self.second)])
        #expect(assigned() == 2, "11 s after the last packet of a closing connection it is gone")
    }

    /// Tracked flows keep their backend when a backend is added; new flows also use the new one.
    @Test func affinitySurvivesABackendAddition() throws {
        let stage = LoadBalancerStage(name: "lb", configuration: Self.service(4), portIndex: ["inside": 0, "outside": 1])
        let first = try Self.send(stage, clients: 0..<2000, time: 1)
        stage.addBackend(.init(name: "web5", address: IPv4Address(10, 0, 2, 15), port: 8080), service: "web")
        let again = try Self.send(stage, clients: 0..<2000, time: 2)
        #expect(again == first, "every tracked flow kept its backend")
        let fresh = try Self.send(stage, clients: 2000..<4000, time: 3)
        #expect(fresh.contains(IPv4Address(10, 0, 2, 15).rawValue))
    }

    /// A draining backend keeps its flows and gets no new ones; a backend marked down loses its
    /// flows; with everyone down, new flows go to the fallback.
    @Test func drainDownAndFallback() throws {
        let stage = LoadBalancerStage(name: "lb", configuration: Self.service(3), portIndex: ["inside": 0, "outside": 1])
        let web1 = IPv4Address(10, 0, 2, 11).rawValue
        let first = try Self.send(stage, clients: 0..<900, time: 1)
        #expect(first.contains(web1))
        stage.setState(.draining, service: "web", backend: "web1")
        #expect(try Self.send(stage, clients: 0..<900, time: 2) == first, "existing flows finish on a draining backend")
        #expect(!(try Self.send(stage, clients: 900..<1800, time: 3)).contains(web1), "no new flows to a draining backend")
        stage.setState(.down, service: "web", backend: "web1")
        let moved = try Self.send(stage, clients: 0..<900, time: 4)
        #expect(!moved.contains(web1), "a backend that is down loses its flows")
        for name in ["web2", "web3"] { stage.setState(.down, service: "web", backend: name) }
        #expect(Set(try Self.send(stage, clients: 5000..<5010, time: 5)) == [IPv4Address(10, 0, 2, 99).rawValue])
    }
}

/// A new backend list applied to a running load balancer (what a live deploy does).
@Suite struct LoadBalancerLiveUpdateTests {
    typealias Stages = LoadBalancerStageTests

    @Test func backendsReplacedByNameKeepFlowsThatStillHaveTheirBackend() throws {
        let old = Stages.service(4)  // web1..web4 at 10.0.2.11..14
        let stage = LoadBalancerStage(name: "lb", configuration: old, portIndex: ["inside": 0, "outside": 1])
        let first = try Stages.send(stage, clients: 0..<2000, time: 1)
        // web1 goes, web2 moves to a new address, web5 arrives, web3/web4 stay.
        var new = old
        new.services[0].backends.removeAll { $0.name == "web1" }
        new.services[0].backends[0].address = IPv4Address(10, 0, 2, 22)  // web2
        new.services[0].backends.append(.init(name: "web5", address: IPv4Address(10, 0, 2, 15), port: 8080))
        #expect(LoadBalancerStage.liveUpdateProblem(from: old, to: new) == nil)
        stage.replaceBackends(new.services[0].backends, service: "web")
        let again = try Stages.send(stage, clients: 0..<2000, time: 2)
        let web1 = IPv4Address(10, 0, 2, 11).rawValue
        let oldWeb2 = IPv4Address(10, 0, 2, 12).rawValue
        for (before, after) in zip(first, again) {
            if before == web1 || before == oldWeb2 {
                #expect(after != web1 && after != oldWeb2, "a flow of a removed or readdressed backend moves")
            } else {
                #expect(after == before, "a flow whose backend stays keeps it")
            }
        }
        let fresh = Set(try Stages.send(stage, clients: 2000..<6000, time: 3))
        #expect(
            fresh
                == Set(
                    [
                        IPv4Address(10, 0, 2, 22), IPv4Address(10, 0, 2, 13), IPv4Address(10, 0, 2, 14),
                        IPv4Address(10, 0, 2, 15),
                    ].map(\.rawValue)), "new flows reach exactly the new backend set")
        #expect(stage.backendStates(service: "web")["web1"] == .down)

        // A VIP change is not a backend change: it needs a new stage.
        var moved = new
        moved.services[0].vip = IPv4Address(203, 0, 113, 11)
        #expect(LoadBalancerStage.liveUpdateProblem(from: new, to: moved) != nil)
    }
}

/// The round-robin scheduler, beside Maglev: new flows take the up backends in turn, each as
/// often as its weight; a flow keeps its backend; a drained backend gets no new flow.
@Suite struct RoundRobinTests {
    static func stage(weights: [Int]) -> LoadBalancerStage {
        var configuration = LoadBalancerStageTests.service(weights.count)
        for (index, weight) in weights.enumerated() { configuration.services[0].backends[index].weight = weight }
        configuration.services[0].scheduler = .roundRobin
        return LoadBalancerStage(name: "lb", configuration: configuration, portIndex: ["inside": 0, "outside": 1])
    }

    @Test func newFlowsTakeTheBackendsInTurnByWeight() throws {
        let stage = Self.stage(weights: [1, 1, 2])
        let backends = try LoadBalancerStageTests.send(stage, clients: 0..<8, time: LoadBalancerStageTests.second)
        // Smooth weighted order for weights 1, 1, 2: web3 web1 web2 web3, twice.
        #expect(backends.map { $0 & 0xFF } == [13, 11, 12, 13, 13, 11, 12, 13])
        // Established flows keep their backend: the same eight clients again.
        let again = try LoadBalancerStageTests.send(stage, clients: 0..<8, time: 2 * LoadBalancerStageTests.second)
        #expect(again == backends)
    }

    @Test func aDrainedBackendGetsNoNewFlows() throws {
        let stage = Self.stage(weights: [1, 1, 1])
        stage.setState(.draining, service: "web", backend: "web2")
        let backends = try LoadBalancerStageTests.send(stage, clients: 0..<6, time: LoadBalancerStageTests.second)
        #expect(Set(backends.map { $0 & 0xFF }) == [11, 13])
        #expect(backends.count == 6)
    }

    @Test func theSchedulerIsReadFromTheDescriptor() throws {
        let text = """
            apiVersion: nfv/v1
            kind: LoadBalancerConfig
            metadata: { name: rr }
            spec:
              clients: outside
              backends: inside
              tableSize: 1009
              services:
                - { name: web, vip: 203.0.113.10:80/tcp, scheduler: round-robin, backends: [{ name: a, address: "10.0.2.11:80" }] }
            """
        #expect(try LoadBalancerConfigLoader().parse(text, file: "lb.yaml").configuration.services[0].scheduler == .roundRobin)
        #expect(throws: DescriptorErrorList.self) {
            try LoadBalancerConfigLoader().parse(text.replacingOccurrences(of: "round-robin", with: "round-robbin"), file: "lb.yaml")
        }
    }
}
