import Foundation
import NFVDescriptors
import NFVLoadBalancer
import NFVPacket
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP listener on 127.0.0.1, on `port` or an ephemeral port; closed on deinit.
final class LoopbackListener {
    let descriptor: Int32
    let port: UInt16

    init(port requested: UInt16 = 0) throws {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(socketDescriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = requested.bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socketDescriptor, pointer, length) == 0 && listen(socketDescriptor, 4096) == 0  // never accepted: room for every probe
                    && getsockname(socketDescriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(socketDescriptor)
            throw POSIXError(.EADDRINUSE)
        }
        descriptor = socketDescriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { Glibc.close(descriptor) }
}

@Suite struct HealthCheckTests {
    /// The rise/fall rule, hand-worked: fall 3, rise 2.
    @Test func riseAndFallCountConsecutiveResults() {
        var tracker = HealthTracker(rise: 2, fall: 3)
        let results = [false, false, true, false, false, false, true, false, true, true, true]
        //              1      2      reset 1      2      3->down 1   reset 1    2->up  (none)
        let expected: [Bool?] = [nil, nil, nil, nil, nil, false, nil, nil, nil, true, nil]
        #expect(results.map { tracker.record(success: $0) } == expected)
        #expect(tracker.healthy)
    }

    /// A listening port passes a TCP probe; the same port after the listener closed fails it
    /// (connection refused).
    @Test func tcpProbeSeesAListenerAndARefusal() throws {
        var listener: LoopbackListener? = try LoopbackListener()
        let port = listener!.port
        #expect(HealthProbe.tcpConnect(address: IPv4Address(127, 0, 0, 1), port: port, timeoutMilliseconds: 500))
        listener = nil
        #expect(!HealthProbe.tcpConnect(address: IPv4Address(127, 0, 0, 1), port: port, timeoutMilliseconds: 500))
    }

    /// The loopback answers an ICMP echo (datagram socket or, as root, raw socket).
    @Test func icmpProbeGetsAnEchoReplyFromLoopback() {
        let canProbe =
            getuid() == 0 || ProcessInfo.processInfo.environment["CI"] != nil
            || (try? String(contentsOfFile: "/proc/sys/net/ipv4/ping_group_range", encoding: .utf8))
                .map { $0.split(whereSeparator: \.isWhitespace).compactMap { Int($0) } }
                .map { $0.count == 2 && $0[0] <= Int(getgid()) && Int(getgid()) <= $0[1] } == true
        guard canProbe else { return }
        #expect(HealthProbe.icmpEcho(address: IPv4Address(127, 0, 0, 1), timeoutMilliseconds: 1000, identifier: 0x4E46, sequence: 7))
    }

    static func configuration(ports: [UInt16], check: LoadBalancerConfiguration.HealthCheck) -> LoadBalancerConfiguration {
        let backends = ports.enumerated().map {
            LoadBalancerConfiguration.Backend(name: "b\($0.offset + 1)", address: IPv4Address(127, 0, 0, 1), port: $0.element)
        }
        return LoadBalancerConfiguration(
            name: "t", clientPort: "outside", backendPort: "inside",
            services: [
                .init(
                    name: "web", vip: LoadBalancerStageTests.vip, port: 80,
                    ipProtocol: IPProtocol.tcp, mode: .nat, backends: backends,
                    healthCheck: check)
            ])
    }

    /// Waits (up to 5 s) until `condition` holds.
    static func wait(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// Real probes against loopback listeners mark a backend down after `fall` refusals and up
    /// again after `rise` accepted connects; the data path sees each change through the table
    /// swap at its next batch: no new flow reaches a backend while it is down.
    @Test func monitorMarksBackendsDownAndUpThroughTheTable() throws {
        let healthy = try LoopbackListener()
        var failing: LoopbackListener? = try LoopbackListener()
        let failingPort = failing!.port
        failing = nil
        let check = LoadBalancerConfiguration.HealthCheck(kind: .tcp, intervalMilliseconds: 50, timeoutMilliseconds: 50, fall: 2, rise: 2)
        let stage = LoadBalancerStage(
            name: "lb", configuration: Self.configuration(ports: [healthy.port, failingPort], check: check),
            portIndex: ["inside": 0, "outside": 1])
        let monitor = HealthMonitor(stage: stage)
        defer { monitor.stop() }
        #expect(Self.wait { stage.backendStates(service: "web")["b2"] == .down })
        #expect(stage.backendStates(service: "web")["b1"] == .up)
        _ = try LoadBalancerStageTests.send(stage, clients: 0..<1000, time: 1)
        #expect(stage.assignments["web"]?["b1"] == 1000, "every new flow went to the healthy backend")
        #expect(stage.assignments["web"]?["b2"] == nil)

        // The backend comes back: after `rise` good probes it takes new flows again.
        let revived = try LoopbackListener(port: failingPort)
        #expect(Self.wait { stage.backendStates(service: "web")["b2"] == .up })
        _ = try LoadBalancerStageTests.send(stage, clients: 1000..<2000, time: 2)
        #expect((stage.assignments["web"]?["b2"] ?? 0) > 300, "the revived backend takes about half of the new flows")
        monitor.stop()
        #expect(
            monitor.history == [
                .init(service: "web", backend: "b2", healthy: false),
                .init(service: "web", backend: "b2", healthy: true),
            ])
        #expect(monitor.probesRun >= 8)
        _ = revived
    }

    /// healthCheck is read fully and its mistakes are reported with place and fix.
    @Test func healthCheckConfiguration() throws {
        func document(_ check: String) -> String {
            """
            apiVersion: nfv/v1
            kind: LoadBalancerConfig
            metadata: { name: l }
            spec:
              clients: outside
              backends: inside
              services:
                - name: web
                  vip: 203.0.113.10:80/tcp
                  backends: [{ name: w1, address: "10.0.2.11:8080" }]
                  healthCheck: \(check)
            """
        }
        let loaded = try LoadBalancerConfigLoader().parse(
            document("{ type: icmp, interval: 500ms, timeout: 200ms, fall: 4, rise: 3 }"),
            file: "l.yaml")
        #expect(
            loaded.configuration.services[0].healthCheck
                == .init(kind: .icmp, intervalMilliseconds: 500, timeoutMilliseconds: 200, fall: 4, rise: 3))
        var found: [String] = []
        do { _ = try LoadBalancerConfigLoader().parse(document("{ type: http, interval: 1s, timeout: 2s, fall: 0 }"), file: "l.yaml") } catch {
            found = error.errors.map(\.description)
        }
        #expect(
            found.contains {
                $0.hasPrefix("l.yaml:11:28: error: spec.services[0].healthCheck.type: unknown health check type \"http\"; use \"tcp\" or \"icmp\"")
            })
        #expect(found.contains { $0.hasPrefix("l.yaml:11:67: error: spec.services[0].healthCheck.fall:") })
        found = []
        do { _ = try LoadBalancerConfigLoader().parse(document("{ interval: 1s, timeout: 2s }"), file: "l.yaml") } catch {
            found = error.errors.map(\.description)
        }
        #expect(
            found == [
                "l.yaml:11:45: error: spec.services[0].healthCheck.timeout: the timeout (2000ms) is longer than the interval (1000ms); a probe must end before the next starts: make the timeout at most the interval"
            ])
    }
}
