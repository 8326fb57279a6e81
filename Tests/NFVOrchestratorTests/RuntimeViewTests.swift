import Foundation
import NFVTestSupport
import Testing

/// `nfv-orch conntrack` and `nfv-orch nat` against known traffic, through the real binaries:
/// twenty TCP connections from one client to one server port through firewall -> router -> NAT
/// (the edge gateway's configurations). What they must show comes from elsewhere: the
/// client's own sockets (its source ports) and the server's kernel (`ss`: the translated
/// ports it sees). The JSON output is read by Python.
@Suite(.serialized) struct RuntimeViewTests {
    static let connections = 20

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func conntrackAndNATShowKnownConnections() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let name = "views-\(suffix)"
        let (lan, wan) = ("nfvt-vl\(suffix)", "nfvt-vw\(suffix)")
        func orch(_ arguments: String...) throws -> CommandResult { try daemon.orch(arguments) }
        var processes: [Process] = []
        defer {
            for process in processes { HostCommand.kill(process) }
            _ = try? orch("undeploy", name, "--force")
            daemon.remove()
        }
        let chainFile = try daemon.writeEdgeGateway(name, lan: lan, wan: wan, tapPrefix: "nfvtv\(suffix)")
        let deployed = try orch("deploy", chainFile.path, "--wait")
        try #require(deployed.status == 0, "\(deployed)")

        // The server echoes; the client opens its connections, says its ports, and holds them.
        let helper = Fixtures.root.appendingPathComponent("Tests/Fixtures/many_connections.py").path
        let server = try Self.start(["ip", "netns", "exec", wan, "python3", helper, "server", "198.51.100.1", "8000"])
        processes.append(server.process)
        _ = server.output.fileHandleForReading.availableData  // "listening"
        let client = try Self.start([
            "ip", "netns", "exec", lan, "python3", "-c",
            """
            import json, socket, sys, time
            held = [socket.create_connection(("198.51.100.1", 8000), timeout=5) for _ in range(\(Self.connections))]
            print(json.dumps(sorted(s.getsockname()[1] for s in held)), flush=True)
            time.sleep(60)
            """,
        ])
        processes.append(client.process)
        let clientPorts = try JSONDecoder().decode([Int].self, from: client.output.fileHandleForReading.availableData)
        try #require(clientPorts.count == Self.connections)
        // Let the handshakes' last ACKs cross the chain.
        usleep(300_000)

        // conntrack -o json, read by Python: the client's ports, established, by allow-web.
        let conntrackJSON = try orch("conntrack", name, "-o", "json")
        #expect(conntrackJSON.status == 0, "\(conntrackJSON)")
        let conntrackFile = daemon.directory.appendingPathComponent("conntrack.json")
        try conntrackJSON.standardOutput.write(to: conntrackFile, atomically: true, encoding: .utf8)
        let tracked = try HostCommand.run([
            "python3", "-c",
            """
            import json, sys
            rows = json.load(open(sys.argv[1]))
            mine = [r for r in rows if r["destination"] == "198.51.100.1" and r["destinationPort"] == 8000]
            assert all(r["proto"] == "tcp" and r["state"] == "ESTABLISHED" and r["assured"] and r["rule"] == "allow-web"
                       and r["source"] == "10.0.1.10" and r["stage"] == "fw" for r in mine), mine
            print(json.dumps(sorted(r["sourcePort"] for r in mine), separators=(",", ":")))
            """,
            conntrackFile.path,
        ])
        #expect(tracked.status == 0, "\(tracked.output)")
        #expect(tracked.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(clientPorts)".replacingOccurrences(of: " ", with: ""))

        // The text form, as conntrack -L prints it, and its filters.
        let text = try orch("conntrack", name, "--dport", "8000", "--state", "established", "-p", "tcp")
        #expect(text.standardError.contains("\(Self.connections) connections shown"), "\(text.standardError)")
        let first = text.standardOutput.split(separator: "\n").first { $0.contains("sport=\(clientPorts[0]) ") } ?? ""
        #expect(first.hasPrefix("tcp      6 "), "\(text.standardOutput)")
        #expect(
            first.hasSuffix("ESTABLISHED src=10.0.1.10 dst=198.51.100.1 sport=\(clientPorts[0]) dport=8000 [ASSURED] rule=allow-web"),
            "\(text.standardOutput)")
        #expect(try orch("conntrack", name, "--dport", "9").standardError.contains("0 connections shown"))

        // nat -o json, read by Python: inside ports are the client's, outside ports are what
        // the server's kernel sees, all on the pool address.
        let seen = try HostCommand.run(["ip", "netns", "exec", wan, "ss", "-Htn", "state", "established", "( sport = :8000 )"])
        let serverPeers = seen.output.split(separator: "\n").compactMap { line -> Int? in
            guard let peer = line.split(separator: " ", omittingEmptySubsequences: true).last,
                peer.hasPrefix("198.51.100.2:")
            else { return nil }
            return Int(peer.split(separator: ":").last ?? "")
        }.sorted()
        #expect(serverPeers.count == Self.connections, "\(seen.output)")
        let natJSON = try orch("nat", name, "-o", "json")
        let natFile = daemon.directory.appendingPathComponent("nat.json")
        try natJSON.standardOutput.write(to: natFile, atomically: true, encoding: .utf8)
        let mapped = try HostCommand.run([
            "python3", "-c",
            """
            import json, sys
            listing = json.load(open(sys.argv[1]))
            mine = [m for m in listing["mappings"] if m["inside"] == "10.0.1.10" and m["proto"] == "tcp"]
            assert all(m["outside"] == "198.51.100.2" and m["established"] for m in mine), mine
            use = [u for u in listing["poolUse"] if u["address"] == "198.51.100.2" and u["proto"] == "tcp"]
            print(json.dumps({"inside": sorted(m["insidePort"] for m in mine),
                              "outside": sorted(m["outsidePort"] for m in mine),
                              "inUse": use[0]["portsInUse"]}, sort_keys=True))
            """,
            natFile.path,
        ])
        #expect(mapped.status == 0, "\(mapped.output)")
        struct Mapped: Decodable {
            var inside: [Int]
            var outside: [Int]
            var inUse: Int
        }
        let result = try JSONDecoder().decode(Mapped.self, from: Data(mapped.output.utf8))
        #expect(result.inside == clientPorts)
        #expect(result.outside == serverPeers, "the outside ports are the ones the server sees")
        #expect(result.inUse >= Self.connections)
        let table = try orch("nat", name).standardOutput
        #expect(table.contains("tcp    10.0.1.10:\(clientPorts[0])"), "\(table)")
        #expect(table.contains("198.51.100.2"), "\(table)")
    }

    /// Starts `arguments` with its standard output on a pipe.
    static func start(_ arguments: [String]) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, output)
    }
}
