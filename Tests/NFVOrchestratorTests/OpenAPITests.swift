import Foundation
import NFVOrchestrator
import NFVTestSupport
import Testing

/// The daemon's API against docs/openapi.yaml, from clients that are not ours: curl makes
/// every documented request (and a few that fail) on the unix socket, and Python checks the
/// document (openapi-spec-validator), every answer against its schema, and that every
/// documented operation was exercised (Tests/Fixtures/api/openapi_check.py).
@Suite(.serialized) struct OpenAPITests {
    struct Exchange: Codable {
        var method: String
        var path: String
        var status: Int
        var contentType: String
        var body: String
    }

    /// Every route the server registers is in the document, and every documented operation is
    /// a route (the live test below checks what each one answers).
    @Test func theDocumentListsExactlyTheServersRoutes() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = OrchestratorPaths(
            stateDirectory: directory.path, socketPath: directory.appendingPathComponent("s").path, runDirectory: directory.path)
        let supervisor = Supervisor(paths: paths, store: try StateStore(path: paths.databasePath), dataplane: "/bin/false")
        let served = Set(
            try OrchestratorServer.routes(supervisor).map {
                $0.replacingOccurrences(of: #":([a-z]+)"#, with: "{$1}", options: .regularExpression)
            })
        let document = try String(contentsOf: Fixtures.root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        var documented: Set<String> = []
        var path = ""
        for line in document.split(separator: "\n") {
            if line.hasPrefix("  /") && line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            for method in ["get", "post", "delete"] where line == "    \(method):" && !path.isEmpty {
                documented.insert("\(method.uppercased()) \(path)")
            }
            if line == "components:" { break }
        }
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 15)
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func everyOperationAnswersAsDocumented() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let name = "api-\(suffix)"
        let lan = "nfvt-al\(suffix)"
        defer {
            _ = try? daemon.orch(["undeploy", name, "--force"])
            daemon.remove()
        }
        let chainFile = try daemon.writeEdgeGateway(name, lan: lan, wan: "nfvt-aw\(suffix)", tapPrefix: "nfvta\(suffix)")
        try #require(try daemon.orch(["deploy", chainFile.path, "--wait"]).status == 0)
        // Something for conntrack and nat to show.
        _ = try HostCommand.run(["ip", "netns", "exec", lan, "ping", "-c", "2", "-i", "0.2", "198.51.100.1"])

        /// JSON without the whitespace between tokens (the server may pretty-print).
        func compact(_ json: String) -> String { json.filter { !$0.isWhitespace } }
        var exchanges: [Exchange] = []
        @discardableResult
        func call(_ method: String, _ path: String, body: String? = nil) throws -> Exchange {
            let output = daemon.directory.appendingPathComponent("answer")
            var arguments = [
                "curl", "-s", "--unix-socket", daemon.socketPath, "-X", method, "-o", output.path, "-w", "%{http_code} %{content_type}",
            ]
            if let body {
                let request = daemon.directory.appendingPathComponent("request.json")
                try body.write(to: request, atomically: true, encoding: .utf8)
                arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + request.path]
            }
            let result = try HostCommand.run(arguments + ["http://nfv-orch" + path])
            let words = result.output.split(separator: " ", maxSplits: 1).map(String.init)
            let exchange = Exchange(
                method: method, path: path, status: Int(words.first ?? "") ?? 0, contentType: words.count > 1 ? words[1] : "",
                body: (try? String(contentsOf: output, encoding: .utf8)) ?? "")
            exchanges.append(exchange)
            return exchange
        }

        let document = try call("GET", "/v1/openapi.yaml")
        let onDisk = try String(contentsOf: Fixtures.root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        #expect(document.body == onDisk, "the daemon serves docs/openapi.yaml as it is")
        #expect(try call("GET", "/v1/chains").status == 200)
        #expect(try call("GET", "/v1/chains/\(name)").status == 200)
        #expect(try call("GET", "/v1/chains/no-such-chain").status == 404)
        let snapshot = try call("GET", "/v1/chains/\(name)/snapshot")
        #expect(snapshot.status == 200)
        #expect(try call("GET", "/v1/chains/\(name)/stats").status == 200)
        #expect(compact(try call("GET", "/v1/chains/\(name)/conntrack").body).contains("\"proto\":\"icmp\""))
        #expect(try call("GET", "/v1/chains/\(name)/nat").body.contains("198.51.100.2"))
        let state = try call("GET", "/v1/chains/\(name)/state")
        #expect(state.status == 200 && compact(state.body).contains("\"format\":\"nfv-state\""), "\(state.body)")
        let restoreBody = #"{"snapshot": \#(snapshot.body), "state": \#(state.body), "wait": true}"#
        let deployed = try call("POST", "/v1/restore", body: restoreBody)
        #expect(deployed.status == 409 && deployed.body.contains("is deployed"), "\(deployed)")
        #expect(try call("GET", "/v1/chains/\(name)/flows").status == 409, "no switch stage")
        #expect(try call("POST", "/v1/chains/\(name)/flows", body: #"{"add": "priority=1,actions=drop"}"#).status == 409)
        let plan = try call("POST", "/v1/plan", body: snapshot.body)
        #expect(plan.status == 200 && compact(plan.body).contains("\"action\":\"unchanged\""), "\(plan.body)")
        #expect(try call("POST", "/v1/plan", body: #"{"name": "x", "files": []}"#).status == 400)
        let garbage = try call("POST", "/v1/plan", body: "garbage")
        #expect(garbage.status == 400 && garbage.body.contains("not valid JSON"), "\(garbage)")
        let incomplete = try call("POST", "/v1/undeploy", body: #"{"name": "x"}"#)
        #expect(incomplete.status == 400 && incomplete.body.contains("force"), "\(incomplete)")
        let deploy = try call("POST", "/v1/deploy", body: #"{"snapshot": \#(snapshot.body), "allowRestart": false, "wait": true}"#)
        #expect(deploy.status == 200 && compact(deploy.body).contains("\"outcome\":\"unchanged\""), "\(deploy.body)")
        #expect(try call("POST", "/v1/chains/\(name)/restart", body: "{}").status == 200)
        #expect(compact(try call("GET", "/v1/events?after=0").body).contains("\"kind\":\"restart\""))
        let moved = try call("POST", "/v1/chains/\(name)/migrate", body: "{}")
        #expect(moved.status == 200 && moved.body.contains("moved to data plane pid"), "\(moved)")
        #expect(try call("POST", "/v1/chains/nope/migrate", body: "{}").status == 404)
        // Containers: this chain has no container port (CNIPluginTests attaches for real).
        #expect(try call("GET", "/v1/chains/\(name)/attachments").body.filter { !$0.isWhitespace } == "[]")
        #expect(try call("GET", "/v1/chains/nope/attachments").status == 404)
        let refusedAttach = try call(
            "POST", "/v1/chains/\(name)/attachments", body: #"{"containerID": "c1", "namespacePath": "/run/netns/x", "interface": "eth0"}"#)
        #expect(refusedAttach.status == 409 && refusedAttach.body.contains("no container port"), "\(refusedAttach)")
        #expect(try call("POST", "/v1/chains/\(name)/attachments", body: #"{"containerID": "c1"}"#).status == 400)
        let notAttached = try call("DELETE", "/v1/chains/\(name)/attachments/c1/eth0")
        #expect(notAttached.status == 200 && notAttached.body.contains("not attached"), "\(notAttached)")
        #expect(try call("GET", "/metrics").body.contains("nfv_chain_up{chain=\"\(name)\"} 1"))
        #expect(try call("POST", "/v1/undeploy", body: #"{"name": "\#(name)", "force": false}"#).status == 200)
        #expect(try call("POST", "/v1/undeploy", body: #"{"name": "\#(name)", "force": false}"#).status == 404)
        let restored = try call("POST", "/v1/restore", body: restoreBody)
        #expect(restored.status == 200 && compact(restored.body).contains("\"outcome\":\"created\""), "\(restored.body)")
        #expect(try call("POST", "/v1/undeploy", body: #"{"name": "\#(name)", "force": false}"#).status == 200)

        let exchangesFile = daemon.directory.appendingPathComponent("exchanges.json")
        try JSONEncoder().encode(exchanges).write(to: exchangesFile)
        let check = try HostCommand.run([
            "python3", Fixtures.root.appendingPathComponent("Tests/Fixtures/api/openapi_check.py").path,
            Fixtures.root.appendingPathComponent("docs/openapi.yaml").path, exchangesFile.path,
        ])
        #expect(check.status == 0 && check.output.hasPrefix("ok"), "\(check.output)")
    }
}
