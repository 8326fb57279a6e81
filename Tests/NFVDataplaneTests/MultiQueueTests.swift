import Foundation
import NFVCatalog
import NFVDataplane
import NFVReplay
import NFVTestSupport
import Testing

/// Two TAP queues, two workers, one stateful firewall: 16 parallel TCP transfers between a
/// client and a server namespace. The kernel picks the queue of each frame (and need not pick
/// the same one for a reply), so the transfers only complete if every frame reaches the worker
/// holding its connection's state; the firewall would drop a SYN-ACK or data segment that met
/// a worker without it (conntrack_invalid / the default drop).
///
/// The kernel's own TAP queue choice keeps most flows on one queue both ways (it hashes
/// symmetrically and learns the queue a flow was written on), so the transfers alone would pass
/// without our steering. ICMP errors are where it differs: the kernel picks their queue by
/// their outer addresses, while the state they belong to (RELATED) lives with the flow they
/// quote. 32 UDP flows to a closed port each must get their port unreachable back; without
/// steering by the quoted flow, about half would be dropped by the worker without the state.
@Suite(.serialized) struct MultiQueueTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func statefulFirewallOnTwoQueues() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (client, server) = ("nfvt-mc\(suffix)", "nfvt-ms\(suffix)")
        let (inside, outside) = ("nfvtmi\(suffix)", "nfvtmo\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let chainFile = directory.appendingPathComponent("multiqueue.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: multiqueue-test }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: \(inside),  namespace: \(client), address: 10.218.0.1/24, queues: 2 }
            - { name: outside, type: tap, ifname: \(outside), namespace: \(server), address: 10.218.0.2/24, queues: 2 }
          stages:
            - { name: fw, vnf: firewall, config: \(Fixtures.root.appendingPathComponent("vnf-configs/edge-firewall.yaml").path) }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        #expect(live.workerCount == 2)
        let queues = try String(contentsOfFile: "/proc/self/fdinfo/\(live.ports[0].fileDescriptor)", encoding: .utf8)
        #expect(queues.contains("iff:"), "the fd is a TUN/TAP queue: \(queues)")
        let running = LiveChainTests.Running(live)
        var serverProcess: Process?
        defer {
            if let serverProcess { HostCommand.kill(serverProcess) }
            running.stop()
            live.tearDown()
        }

        let www = directory.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let blob = Data((0..<2_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try blob.write(to: www.appendingPathComponent("blob"))
        let httpServer = Process()
        httpServer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        httpServer.arguments = [
            "ip", "netns", "exec", server, "python3", "-m", "http.server", "8000", "--bind", "10.218.0.2",
            "--directory", www.path,
        ]
        httpServer.standardOutput = FileHandle.nullDevice
        httpServer.standardError = FileHandle.nullDevice
        try httpServer.run()
        serverProcess = httpServer
        var ready = (status: Int32(1), output: "")
        for _ in 0..<50 where ready.status != 0 {
            ready = try HostCommand.run([
                "ip", "netns", "exec", client, "curl", "-sS", "-m", "5", "-o", "/dev/null",
                "http://10.218.0.2:8000/blob",
            ])
            if ready.status != 0 { usleep(200_000) }
        }
        try #require(ready.status == 0, "the server answers through the chain: \(ready.output)")

        // 16 connections at once: 16 flows, spread over both workers by their hash.
        var arguments = ["ip", "netns", "exec", client, "curl", "-sS", "-m", "60", "--parallel", "--parallel-max", "16"]
        for index in 0..<16 {
            arguments += ["-o", directory.appendingPathComponent("received-\(index)").path, "http://10.218.0.2:8000/blob"]
        }
        let fetch = try HostCommand.run(arguments)
        #expect(fetch.status == 0, "\(fetch.output)")
        for index in 0..<16 {
            let received = try? Data(contentsOf: directory.appendingPathComponent("received-\(index)"))
            #expect(received == blob, "transfer \(index) arrived intact")
        }
        let ping = try HostCommand.run(["ip", "netns", "exec", client, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.218.0.2"])
        #expect(ping.status == 0 && ping.output.contains("3 received"), "\(ping.output)")

        // 32 UDP flows to a closed port (allow-dns lets them out): each must see its ICMP port
        // unreachable, which passes as RELATED only on the worker holding the flow. The server
        // namespace's ICMP rate limit is lifted so the kernel answers every one.
        let sysctl = try HostCommand.run(["ip", "netns", "exec", server, "sysctl", "-w", "net.ipv4.icmp_ratelimit=0"])
        #expect(sysctl.status == 0, "\(sysctl.output)")
        let udp = try HostCommand.run([
            "ip", "netns", "exec", client, "python3", "-c",
            """
            import socket
            refused = 0
            for _ in range(32):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(1)
                s.connect(('10.218.0.2', 53))
                s.send(b'query')
                try:
                    s.recv(100)
                except ConnectionRefusedError:
                    refused += 1
                except socket.timeout:
                    pass
                s.close()
            print('refused', refused)
            """,
        ])
        #expect(udp.output.contains("refused 32"), "every flow got its port unreachable back: \(udp.output)")

        running.stop()
        let perWorker = live.workerCounters()
        try #require(perWorker.count == 2)
        for (index, worker) in perWorker.enumerated() {
            let firewall = try #require(worker.stages.last)
            // 16 x 2 MB: each worker carries several transfers (bytes: offloads make packets few).
            let bytes = worker.ports.map(\.transmittedBytes).reduce(0, +)
            #expect(bytes > 4_000_000, "worker \(index) forwarded its share: \(bytes) bytes in \(firewall.transmitted) packets")
            #expect(firewall.drops[.conntrackInvalid, default: 0] == 0, "worker \(index) met no packet without its state")
        }
        let total = live.counters()
        let report = CounterReport.text(total)
        print(report)
        #expect(total.workerCount == 2)
        #expect(report.contains("workers 2:"))
        live.tearDown()
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"))
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(server)"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(inside)"))
    }
}
