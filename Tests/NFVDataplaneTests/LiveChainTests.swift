import Foundation
import NFVCatalog
import NFVDataplane
import NFVNetlink
import NFVReplay
import NFVTestSupport
import Synchronization
import Testing

/// A chain deployed live from its descriptor: the edge firewall between a client and a server
/// namespace that the chain creates. Real ping, a 10 MB TCP transfer compared byte for byte,
/// UDP through the connection tracker, what the firewall must block, and nothing left after.
@Suite(.serialized) struct LiveChainTests {

    /// The live chain on its own thread until `stop()`.
    final class Running: @unchecked Sendable {
        let live: LiveChain
        let stopping = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)
        init(_ live: LiveChain) {
            self.live = live
            Thread {
                try? self.live.run(until: { self.stopping.load(ordering: .acquiring) })
                self.finished.signal()
            }.start()
        }
        /// Stops the loop and waits for the thread (once; later calls return at once).
        func stop() {
            guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
            finished.wait()
        }
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func firewallChainBetweenNamespaces() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (client, server) = ("nfvt-lc\(suffix)", "nfvt-ls\(suffix)")
        let (inside, outside) = ("nfvti\(suffix)", "nfvto\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let chainFile = directory.appendingPathComponent("live.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: live-test }
        spec:
          ports:
            - { name: inside,  type: tap, ifname: \(inside),  namespace: \(client), address: 10.217.0.1/24 }
            - { name: outside, type: tap, ifname: \(outside), namespace: \(server), address: 10.217.0.2/24 }
          stages:
            - { name: fw, vnf: firewall, config: \(Fixtures.root.appendingPathComponent("vnf-configs/edge-firewall.yaml").path) }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let live = try LiveChain(loaded: try LoadedChain.load(path: chainFile.path))
        let running = Running(live)
        var serverProcess: Process?
        defer {
            if let serverProcess { HostCommand.kill(serverProcess) }
            running.stop()
            live.tearDown()
        }

        // Ping from the client passes; from the server (outside) it is not allowed.
        let ping = try HostCommand.run(["ip", "netns", "exec", client, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.217.0.2"])
        #expect(ping.status == 0 && ping.output.contains("3 received"), "\(ping.output)")
        let reverse = try HostCommand.run(["ip", "netns", "exec", server, "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.217.0.1"])
        #expect(reverse.status != 0, "a ping from outside must not pass: \(reverse.output)")

        // 10 MB over TCP (HTTP on port 8000, which the firewall allows from inside).
        let www = directory.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let blob = Data((0..<10_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try blob.write(to: www.appendingPathComponent("blob"))
        let httpServer = Process()
        httpServer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        httpServer.arguments = [
            "ip", "netns", "exec", server, "python3", "-m", "http.server", "8000", "--bind", "10.217.0.2",
            "--directory", www.path,
        ]
        httpServer.standardOutput = FileHandle.nullDevice
        httpServer.standardError = FileHandle.nullDevice
        try httpServer.run()
        serverProcess = httpServer
        let received = directory.appendingPathComponent("received")
        var fetch = (status: Int32(1), output: "")
        for _ in 0..<50 where fetch.status != 0 {
            fetch = try HostCommand.run([
                "ip", "netns", "exec", client, "curl", "-sS", "-m", "30", "-o", received.path,
                "http://10.217.0.2:8000/blob",
            ])
            if fetch.status != 0 { usleep(200_000) }
        }
        #expect(fetch.status == 0, "\(fetch.output)")
        #expect(try Data(contentsOf: received) == blob, "the 10 MB arrived intact")
        HostCommand.kill(httpServer)

        // UDP to port 53 and its answer, through the connection tracker.
        let echo = Process()
        echo.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        echo.arguments = [
            "ip", "netns", "exec", server, "python3", "-c",
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.217.0.2', 53)); "
                + "d, a = s.recvfrom(100); s.sendto(d.upper(), a)",
        ]
        try echo.run()
        defer {
            HostCommand.kill(echo)
        }
        usleep(300_000)
        let udp = try HostCommand.run([
            "ip", "netns", "exec", client, "python3", "-c",
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); "
                + "s.sendto(b'query', ('10.217.0.2', 53)); print(s.recvfrom(100)[0].decode())",
        ])
        #expect(udp.status == 0 && udp.output.contains("QUERY"), "\(udp.output)")

        // Telnet is dropped: the connect gets no answer.
        // (Python's own timeout: `timeout` cannot fire in a child that inherits a blocked signal mask.)
        let telnet = try HostCommand.run([
            "ip", "netns", "exec", client, "python3", "-c",
            "import socket; socket.create_connection(('10.217.0.2', 23), timeout=2)",
        ])
        #expect(telnet.status != 0 && telnet.output.contains("timed out"), "\(telnet.output)")

        running.stop()
        let firewall = try #require(live.counters().stages.last)
        #expect(firewall.drops[.firewallRule, default: 0] >= 1, "the telnet SYN met block-telnet")
        // Bytes, not packets: with offloads the 10 MB crosses as a few hundred super-frames.
        let forwardedBytes = live.counters().ports.map(\.transmittedBytes).reduce(0, +)
        #expect(firewall.transmitted > 100 && forwardedBytes > 10_000_000, "the transfer crossed the chain: \(forwardedBytes) bytes")
        live.tearDown()
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"), "namespace \(client) removed")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(server)"), "namespace \(server) removed")
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(inside)"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(outside)"))
    }
}

/// A data plane killed with SIGKILL cannot clean up; the next deploy of the same chain must
/// still come up, and must remove what the killed run left.
@Suite(.serialized) struct DataplaneKillTests {
    static func waitForFile(_ path: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(50_000)
        }
        return false
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func theNextDeployAfterASigkillWorksAndCleansUp() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (namespace, device) = ("nfvt-k\(suffix)", "nfvtk\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            _ = try? HostCommand.run(["ip", "netns", "del", namespace])
            NamespaceMark(namespace: namespace).remove()
        }
        let chainFile = directory.appendingPathComponent("kill.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: kill-test }
        spec:
          ports:
            - { name: a, type: tap, ifname: \(device), namespace: \(namespace), address: 10.218.0.1/24 }
            - { name: b, type: tap, ifname: \(device)b }
          stages:
            - { name: ttl, vnf: decrement-ttl }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let binary = Fixtures.executablesDirectory.appendingPathComponent("nfv-dataplane")
        let ready = directory.appendingPathComponent("ready").path

        let first = Process()
        first.executableURL = binary
        first.arguments = [chainFile.path, "--ready-file", ready]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        #expect(Self.waitForFile(ready, seconds: 15), "the first run came up")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        unlink(ready)
        // What a SIGKILL leaves: the namespace (and its mark); the TAPs went with the process.
        #expect(FileManager.default.fileExists(atPath: "/run/netns/\(namespace)"))
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/\(device)b"))
        #expect(try HostCommand.run(["ip", "-n", namespace, "link", "show", device]).status != 0)

        let second = try CommandRunner.run("nfv-dataplane", [chainFile.path, "--duration", "1"])
        #expect(second.status == 0, "\(second.standardOutput)\(second.standardError)")
        #expect(second.standardOutput.contains("taken over"), "\(second.standardOutput)")
        #expect(second.standardOutput.contains("port a: TAP \(device) in namespace \(namespace), 10.218.0.1/24"))
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(namespace)"), "the second run removed the namespace")
        #expect(!NamespaceMark(namespace: namespace).isSet)
    }
}

/// The control socket of a running nfv-dataplane: root-only, answers counters, stops it.
@Suite(.serialized) struct ControlSocketTests {
    /// Sends one command and returns the reply.
    static func ask(_ path: String, _ command: String) throws -> String {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        _ = command.withCString { write(descriptor, $0, strlen($0)) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count <= 0 { break }
            reply += buffer[..<count]
        }
        return String(decoding: reply, as: UTF8.self)
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices"))
    func countersAndStopOverTheControlSocket() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let chainFile = directory.appendingPathComponent("control.yaml")
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: control-test }
        spec:
          ports:
            - { name: a, type: tap, ifname: nfvtq\(suffix) }
            - { name: b, type: tap, ifname: nfvtr\(suffix) }
          stages:
            - { name: noop, vnf: pass-through }
        """.write(to: chainFile, atomically: true, encoding: .utf8)
        let socketPath = directory.appendingPathComponent("control.sock").path
        let ready = directory.appendingPathComponent("ready").path
        let process = Process()
        process.executableURL = Fixtures.executablesDirectory.appendingPathComponent("nfv-dataplane")
        process.arguments = [chainFile.path, "--ready-file", ready, "--control", socketPath]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { HostCommand.kill(process) }
        #expect(DataplaneKillTests.waitForFile(ready, seconds: 15))

        var info = stat()
        #expect(stat(socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "root only")
        let counters = try Self.ask(socketPath, "counters\n")
        #expect(counters.contains("port a (nfvtq\(suffix)): rx "), "\(counters)")
        #expect(counters.contains("pass-through"), "\(counters)")
        #expect(try Self.ask(socketPath, "reboot\n").hasPrefix("error: unknown command \"reboot\""))
        #expect(try Self.ask(socketPath, "stop\n") == "stopping\n")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: socketPath), "the socket file is removed")
    }
}
