import Foundation
import NFVOrchestrator
import NFVTestSupport
import Testing

/// One owner per TAP and per namespace, through the real binaries: two deployed chains with a
/// port each in the same namespace share it (undeploying one leaves the other forwarding, the
/// last one out removes it); a standalone nfv-dataplane on a deployed chain's file is refused
/// and leaves the deployed chain's TAP alone; a chain wanting a standalone run's namespace is
/// refused by plan and by deploy, naming the user's file and line.
@Suite(.serialized) struct ResourceOwnershipTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func chainsShareANamespaceAndStandaloneRunsShareNothing() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let directory = daemon.directory
        func orch(_ arguments: String...) throws -> CommandResult { try daemon.orch(arguments) }
        let (client, serverA, serverB, solo) = ("nfvt-sc\(suffix)", "nfvt-sa\(suffix)", "nfvt-sb\(suffix)", "nfvt-so\(suffix)")
        var standalone: Process?
        defer {
            if let standalone { HostCommand.kill(standalone) }
            _ = try? orch("undeploy", "share-a-\(suffix)", "--force")
            _ = try? orch("undeploy", "share-b-\(suffix)", "--force")
            for namespace in [client, serverA, serverB, solo] { _ = try? HostCommand.run(["ip", "netns", "del", namespace]) }
            for namespace in [client, serverA, serverB, solo] { unlink("/run/nfv-dataplane/netns-\(namespace)") }
            daemon.remove()
        }
        func chain(_ name: String, _ ports: [(ifname: String, namespace: String, address: String)]) throws -> URL {
            try daemon.writeChain(
                name,
                ports: zip(["a", "b"], ports).map {
                    "name: \($0), type: tap, ifname: \($1.ifname), namespace: \($1.namespace), address: \($1.address)"
                },
                stages: ["name: pass, vnf: pass-through"])
        }
        func ping(_ address: String) throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", client, "ping", "-c", "1", "-W", "1", address]).status == 0
        }
        let first = try chain(
            "share-a-\(suffix)", [("nfvtsa\(suffix)", client, "10.224.1.1/24"), ("nfvtsA\(suffix)", serverA, "10.224.1.2/24")])
        let second = try chain(
            "share-b-\(suffix)", [("nfvtsb\(suffix)", client, "10.224.2.1/24"), ("nfvtsB\(suffix)", serverB, "10.224.2.2/24")])
        for file in [first, second] {
            let deployed = try orch("deploy", file.path, "--wait")
            #expect(deployed.status == 0, "\(deployed)")
        }
        #expect(try ping("10.224.1.2") && ping("10.224.2.2"), "both chains forward from the shared namespace")

        // A standalone run of the deployed chain's file is refused before it touches anything.
        let refused = try CommandRunner.run("nfv-dataplane", [second.path, "--duration", "1"])
        #expect(refused.status != 0, "\(refused)")
        #expect(
            refused.standardError.contains("TAP nfvtsb\(suffix) belongs to chain share-b-\(suffix), deployed by nfv-orch"),
            "\(refused.standardError)")
        #expect(try ping("10.224.2.2"), "the deployed chain's TAP is still there and forwards")

        // Undeploy the chain that created the shared namespace: the other keeps forwarding.
        #expect(try orch("undeploy", "share-a-\(suffix)").status == 0)
        #expect(FileManager.default.fileExists(atPath: "/run/netns/\(client)"), "the shared namespace stays")
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(serverA)"), "the chain's own namespace goes")
        #expect(try ping("10.224.2.2"), "the other chain keeps forwarding")
        #expect(try orch("status", "share-b-\(suffix)").standardOutput.contains("actual:     running"))
        #expect(try orch("undeploy", "share-b-\(suffix)").status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(client)"), "the last chain out removes the namespace")

        // A standalone run's namespace is its own: plan and deploy refuse a chain that wants it.
        let soloFile = try chain("solo-\(suffix)", [("nfvtso\(suffix)", solo, "10.224.3.1/24"), ("nfvtsO\(suffix)", serverB, "10.224.3.2/24")])
        let ready = directory.appendingPathComponent("solo.ready").path
        let process = Process()
        process.executableURL = Fixtures.executablesDirectory.appendingPathComponent("nfv-dataplane")
        process.arguments = [soloFile.path, "--ready-file", ready, "--control", directory.appendingPathComponent("solo.sock").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        standalone = process
        for _ in 0..<150 where access(ready, F_OK) != 0 { usleep(100_000) }
        #expect(access(ready, F_OK) == 0, "the standalone run came up")
        let intruder = try chain(
            "share-a-\(suffix)", [("nfvtsa\(suffix)", solo, "10.224.1.1/24"), ("nfvtsA\(suffix)", serverA, "10.224.1.2/24")])
        for command in ["plan", "deploy"] {
            let answer = try orch(command, intruder.path)
            #expect(answer.status == 1, "\(command): \(answer)")
            #expect(answer.standardError.contains("\(intruder.path):6:"), "\(command) names the user's file and line: \(answer.standardError)")
            #expect(
                answer.standardError.contains("namespace \(solo) is in use by chain solo-\(suffix), run by a standalone nfv-dataplane"),
                "\(command): \(answer.standardError)")
        }
        #expect(!(try orch("list").standardOutput.contains("share-a-")), "nothing was deployed")
        _ = try UnixSocket.command(directory.appendingPathComponent("solo.sock").path, "stop")
        process.waitUntilExit()
        standalone = nil
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(solo)"), "the standalone run removed its namespace")
    }
}
