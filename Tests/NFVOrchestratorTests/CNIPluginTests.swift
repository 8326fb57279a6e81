import Foundation
import NFVTestSupport
import Testing

/// `nfv-cni` driven the way container runtimes drive a CNI plugin (the CNI_ environment and the
/// network configuration on standard input), against a private nfv-orch running a firewall
/// chain whose `inside` port takes containers (`attach: cni`) and whose `outside` is a server
/// namespace. Addresses come from the real host-local IPAM plugin (containernetworking-plugins).
/// What is expected comes from the CNI spec and from the kernel (iproute2 reads the container's
/// interface, ping and a TCP transfer cross the chain); the podman test has a real runtime
/// start a container from a root filesystem directory on a CNI network of the plugin's.
@Suite(.serialized) struct CNIPluginTests {
    /// A firewall chain with a container port, its server namespace and a "container"
    /// namespace, under a private daemon; everything goes again in `remove()`.
    struct Setup {
        let daemon: OrchestratorEndToEndTests.PrivateDaemon
        let suffix: String
        let name: String
        let server: String
        let subnet: String
        let ipamDirectory: String

        init(_ tag: String, subnetThirdOctet: Int) throws {
            daemon = try OrchestratorEndToEndTests.PrivateDaemon()
            suffix = tag + String(getpid() % 10_000)
            name = "cni-\(suffix)"
            server = "nfvt-cs\(suffix)"
            subnet = "10.89.\(subnetThirdOctet)"
            ipamDirectory = daemon.directory.appendingPathComponent("ipam").path
            // Containers start connections; the server side only answers (and ARP).
            try """
            apiVersion: nfv/v1
            kind: FirewallConfig
            metadata: { name: pods-out }
            spec:
              defaultAction: drop
              rules:
                - { name: allow-arp, action: allow, match: { etherType: arp } }
                - { name: pods-start, action: allow, match: { inPort: inside } }
            """.write(to: daemon.directory.appendingPathComponent("firewall.yaml"), atomically: true, encoding: .utf8)
            _ = try daemon.writeChain(
                name,
                ports: [
                    "name: inside, type: tap, attach: cni",
                    "name: outside, type: tap, ifname: nfvtco\(suffix), namespace: \(server), address: \(subnet).1/24",
                ],
                stages: ["name: fw, vnf: firewall, config: firewall.yaml"])
        }

        var chainFile: String { daemon.directory.appendingPathComponent("\(name).yaml").path }

        /// The network configuration a runtime would pass (`chain` and `port` as given).
        func configuration(chain: String? = nil, previousResult: String? = nil) -> String {
            """
            {"cniVersion": "1.0.0", "name": "pods-\(suffix)", "type": "nfv-cni", "chain": "\(chain ?? name)", "port": "inside",
             "socket": "\(daemon.socketPath)",
             "ipam": {"type": "host-local", "subnet": "\(subnet).0/24", "rangeStart": "\(subnet).10", "gateway": "\(subnet).1",
                      "dataDir": "\(ipamDirectory)", "routes": [{"dst": "0.0.0.0/0"}]}
            """ + (previousResult.map { ", \"prevResult\": \($0)" } ?? "") + "}"
        }

        /// Runs nfv-cni as a runtime does.
        func plugin(_ command: String, container: String, namespace: String, input: String) throws -> CommandResult {
            try CommandRunner.run(
                "nfv-cni", [],
                environment: [
                    "CNI_COMMAND": command, "CNI_CONTAINERID": container, "CNI_NETNS": "/run/netns/\(namespace)", "CNI_IFNAME": "eth0",
                    "CNI_PATH": "/usr/lib/cni",
                ], input: Data(input.utf8))
        }

        func remove() {
            _ = try? daemon.orch(["undeploy", name, "--force"])
            daemon.remove()
        }
    }

    /// The spec's error document: its code.
    static func errorCode(_ result: CommandResult) -> Int? {
        (try? JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])?["code"] as? Int
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func aRuntimeAddsChecksAndDeletesAContainerOnAFirewallChain() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/host-local"), "make deps installs containernetworking-plugins")
        let setup = try Setup("a", subnetThirdOctet: 1)
        let (container, other) = ("nfvt-cc\(setup.suffix)", "nfvt-cd\(setup.suffix)")
        defer {
            setup.remove()
            for namespace in [container, other] { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
        }
        for namespace in [container, other] { _ = try HostCommand.check(["ip", "netns", "add", namespace]) }
        let deployed = try setup.daemon.orch(["deploy", setup.chainFile, "--wait"])
        try #require(deployed.status == 0, "\(deployed)")
        let serverAddress = "\(setup.subnet).1"
        func ping(from namespace: String, to address: String) throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", namespace, "ping", "-c", "1", "-W", "1", address]).status == 0
        }

        // ADD: the result names the interface the kernel has, with its MAC and the address
        // host-local gave, which are on it, with the default route.
        let added = try setup.plugin("ADD", container: "c-\(setup.suffix)", namespace: container, input: setup.configuration())
        try #require(added.status == 0, "\(added)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(added.standardOutput.utf8)) as? [String: Any])
        let interface = try #require((result["interfaces"] as? [[String: Any]])?.first)
        let link = try HostCommand.check(["ip", "-n", container, "-o", "link", "show", "eth0"])
        #expect(interface["name"] as? String == "eth0" && interface["sandbox"] as? String == "/run/netns/\(container)")
        #expect(link.contains("link/ether \(interface["mac"] as? String ?? "?")"), "\(link) vs \(interface)")
        #expect(result["cniVersion"] as? String == "1.0.0")
        let ip = try #require((result["ips"] as? [[String: Any]])?.first)
        #expect(ip["address"] as? String == "\(setup.subnet).10/24" && ip["interface"] as? Int == 0, "\(result)")
        #expect(try HostCommand.check(["ip", "-n", container, "-o", "addr", "show", "dev", "eth0"]).contains("\(setup.subnet).10/24"))
        #expect(try HostCommand.check(["ip", "-n", container, "route", "show", "default"]).contains("via \(serverAddress) dev eth0"))

        // Traffic crosses the firewall: the container reaches the server and a bulk TCP upload
        // arrives intact (GSO super-frames on the attached TAP); the server cannot start a
        // connection to the container (the firewall drops what starts outside).
        #expect(try ping(from: container, to: serverAddress), "the container pings the server through the chain")
        let upload = try BulkTransfer.run(
            client: container, server: setup.server, address: serverAddress, port: 5301, megabytes: 20, upload: true)
        #expect(upload.contains("intact"), "\(upload)")
        #expect(try !ping(from: setup.server, to: "\(setup.subnet).10"), "the firewall lets nothing start on the outside")
        // 500 connections from the container to one server port (only the source ports
        // differ), and pings of 4,000 bytes (three fragments each) through the container's TAP.
        let helper = Fixtures.root.appendingPathComponent("Tests/Fixtures/many_connections.py").path
        let echo = Process()
        echo.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        echo.arguments = ["ip", "netns", "exec", setup.server, "python3", helper, "server", serverAddress, "8040"]
        echo.standardOutput = FileHandle.nullDevice
        try echo.run()
        defer { HostCommand.kill(echo) }
        usleep(300_000)
        let many = try HostCommand.run(["ip", "netns", "exec", container, "python3", helper, "client", serverAddress, "8040", "500"])
        #expect(many.status == 0 && many.output.contains("\"second\": 500"), "\(many.output)")
        let fragments = try HostCommand.run(["ip", "netns", "exec", container, "ping", "-c", "3", "-s", "4000", "-W", "2", serverAddress])
        #expect(fragments.status == 0 && fragments.output.contains("3 received"), "\(fragments.output)")

        // CHECK agrees. A second ADD for the same container and interface (which the spec
        // forbids runtimes) fails with the IPAM plugin's error passed through, and leaves the
        // first one working; another container on the taken port is refused with code 100.
        let check = try setup.plugin(
            "CHECK", container: "c-\(setup.suffix)", namespace: container, input: setup.configuration(previousResult: added.standardOutput))
        #expect(check.status == 0 && check.standardOutput.isEmpty, "\(check)")
        let again = try setup.plugin("ADD", container: "c-\(setup.suffix)", namespace: container, input: setup.configuration())
        #expect(again.status != 0 && again.standardOutput.contains("host-local"), "\(again)")
        #expect(try ping(from: container, to: serverAddress), "the repeated ADD took nothing from the container")
        let taken = try setup.plugin("ADD", container: "d-\(setup.suffix)", namespace: other, input: setup.configuration())
        #expect(taken.status != 0 && Self.errorCode(taken) == 100 && taken.standardOutput.contains("port inside has container"), "\(taken)")
        #expect(try HostCommand.run(["ip", "-n", other, "link", "show", "eth0"]).status != 0, "the refused container got no interface")

        // kill -9 of the data plane: the container keeps its interface and address meanwhile,
        // and the data plane the daemon starts attaches it again.
        let status = try setup.daemon.orch(["status", setup.name]).standardOutput
        let pid = try #require(status.range(of: "data plane pid ").flatMap { pid_t(status[$0.upperBound...].prefix { $0.isNumber }) })
        #expect(status.contains("inside (container c-\(setup.suffix)'s eth0 in /run/netns/\(container))"), "\(status)")
        kill(pid, SIGKILL)
        usleep(200_000)
        #expect(try HostCommand.check(["ip", "-n", container, "-o", "addr", "show", "dev", "eth0"]).contains("\(setup.subnet).10/24"))
        #expect(
            try HostCommand.eventually(tries: 50) { try ping(from: container, to: serverAddress) },
            "traffic crosses the chain again after the data plane was killed")

        // CHECK notices an interface that is gone.
        _ = try HostCommand.check(["ip", "-n", container, "link", "del", "eth0"])
        let missing = try setup.plugin(
            "CHECK", container: "c-\(setup.suffix)", namespace: container, input: setup.configuration(previousResult: added.standardOutput))
        #expect(missing.status != 0 && Self.errorCode(missing) == 101 && missing.standardOutput.contains("missing"), "\(missing)")

        // DEL twice: both succeed with nothing printed; the address is free again.
        let leases = URL(fileURLWithPath: setup.ipamDirectory).appendingPathComponent("pods-\(setup.suffix)/\(setup.subnet).10").path
        #expect(FileManager.default.fileExists(atPath: leases), "host-local recorded the lease")
        for round in 1...2 {
            let deleted = try setup.plugin("DEL", container: "c-\(setup.suffix)", namespace: container, input: setup.configuration())
            #expect(deleted.status == 0 && deleted.standardOutput.isEmpty, "DEL \(round): \(deleted)")
        }
        #expect(!FileManager.default.fileExists(atPath: leases), "the lease is released")
        let attachments = try setup.daemon.orch(["status", setup.name]).standardOutput
        #expect(attachments.contains("inside (attach: cni, no container)"), "\(attachments)")

        // Bad input gets the spec's codes, and a refused ADD gives its address back.
        let notJSON = try setup.plugin("ADD", container: "e-\(setup.suffix)", namespace: other, input: "{\"cniVersion\": \"1.0.0\", name}")
        #expect(notJSON.status != 0 && Self.errorCode(notJSON) == 6, "\(notJSON)")
        let noChain = try setup.plugin(
            "ADD", container: "e-\(setup.suffix)", namespace: other, input: #"{"cniVersion": "1.0.0", "name": "x", "type": "nfv-cni"}"#)
        #expect(noChain.status != 0 && Self.errorCode(noChain) == 7 && noChain.standardOutput.contains("chain"), "\(noChain)")
        let unknown = try setup.plugin("ADD", container: "e-\(setup.suffix)", namespace: other, input: setup.configuration(chain: "nope"))
        #expect(unknown.status != 0 && Self.errorCode(unknown) == 100 && unknown.standardOutput.contains("no chain nope"), "\(unknown)")
        let leftover = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: leases).deletingLastPathComponent().path)
        #expect(!leftover.contains { $0.hasPrefix(setup.subnet) }, "no address is left leased: \(leftover)")

        // Undeploy removes an attached container's interface.
        let readded = try setup.plugin("ADD", container: "c-\(setup.suffix)", namespace: container, input: setup.configuration())
        #expect(readded.status == 0, "\(readded)")
        #expect(try HostCommand.run(["ip", "-n", container, "link", "show", "eth0"]).status == 0)
        #expect(try setup.daemon.orch(["undeploy", setup.name]).status == 0)
        #expect(try HostCommand.run(["ip", "-n", container, "link", "show", "eth0"]).status != 0, "undeploy removed the container's TAP")
    }

    /// podman 4.3 with its CNI backend starts a container from a root filesystem directory (busybox,
    /// no registry) on a network whose plugin is nfv-cni: the container pings the server through
    /// the firewall; when it exits podman's DEL detaches it (the port waits again, the address is
    /// released). podman's storage, configuration and network files live in the test's folder.
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: podman, TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func podmanRunsAContainerOnTheChain() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        for tool in ["/usr/bin/podman", "/usr/bin/busybox", "/usr/lib/cni/host-local"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "make deps installs \(tool)")
        }
        let setup = try Setup("p", subnetThirdOctet: 2)
        defer { setup.remove() }
        let deployed = try setup.daemon.orch(["deploy", setup.chainFile, "--wait"])
        try #require(deployed.status == 0, "\(deployed)")

        // A root filesystem of busybox alone; the plugin in a CNI plugin folder of podman's.
        let folder = setup.daemon.directory.appendingPathComponent("podman")
        let rootfs = folder.appendingPathComponent("rootfs")
        for directory in ["bin", "proc", "sys", "dev", "tmp", "etc", "run"] {
            try FileManager.default.createDirectory(at: rootfs.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: "/usr/bin/busybox", toPath: rootfs.appendingPathComponent("bin/busybox").path)
        let plugins = folder.appendingPathComponent("cni-bin")
        let networks = folder.appendingPathComponent("net.d")
        for directory in [plugins, networks] { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }
        try FileManager.default.createSymbolicLink(
            atPath: plugins.appendingPathComponent("nfv-cni").path,
            withDestinationPath: Fixtures.executablesDirectory.appendingPathComponent("nfv-cni").path)
        let network = "pods-\(setup.suffix)"
        let plugin = setup.configuration().replacingOccurrences(of: #""cniVersion": "1.0.0", "name": "\#(network)", "#, with: "")
        try #"{"cniVersion": "1.0.0", "name": "\#(network)", "plugins": [\#(plugin)]}"#
            .write(to: networks.appendingPathComponent("\(network).conflist"), atomically: true, encoding: .utf8)
        // The sandbox forbids raising rlimits (default_ulimits = []); no systemd here (cgroupfs,
        // file events).
        let configuration = folder.appendingPathComponent("containers.conf")
        try """
        [containers]
        default_ulimits = []
        [engine]
        cgroup_manager = "cgroupfs"
        events_logger = "file"
        [network]
        network_backend = "cni"
        cni_plugin_dirs = ["\(plugins.path)", "/usr/lib/cni"]
        network_config_dir = "\(networks.path)"
        """.write(to: configuration, atomically: true, encoding: .utf8)
        // podman takes a run root of at most 50 characters.
        let runRoot = "/tmp/nfvt-podman-\(setup.suffix)"
        defer { try? FileManager.default.removeItem(atPath: runRoot) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            HostCommand.withNoSignalBlocked + [
                "/usr/bin/podman", "--root", folder.appendingPathComponent("storage").path, "--runroot", runRoot,
                "--network-backend", "cni", "--runtime", "runc", "run", "--rm", "--network", network, "--rootfs", rootfs.path,
                "/bin/busybox", "ping", "-c", "3", "-w", "10", "\(setup.subnet).1",
            ]
        process.environment = ProcessInfo.processInfo.environment.merging(["CONTAINERS_CONF": configuration.path]) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && printed.contains("3 packets received"), "\(printed)")

        // podman attached and detached the container through nfv-orch; nothing is left.
        let events = try setup.daemon.orch(["events", setup.name]).standardOutput
        #expect(events.contains("attach  port inside: container") && events.contains("detach  port inside: container"), "\(events)")
        #expect(try setup.daemon.orch(["status", setup.name]).standardOutput.contains("inside (attach: cni, no container)"))
        let leases = (try? FileManager.default.contentsOfDirectory(atPath: setup.ipamDirectory + "/\(network)")) ?? []
        #expect(!leases.contains { $0.hasPrefix(setup.subnet) }, "podman's DEL released the address: \(leases)")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(folder.path) && !mounts.contains(runRoot), "podman left mounts: \(mounts)")
    }
}
