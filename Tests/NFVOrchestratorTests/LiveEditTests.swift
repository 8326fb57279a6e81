import Foundation
import NFVOrchestrator
import NFVTestSupport
import Testing

/// Live edits of a deployed switch chain, through the real binaries: add-flow on an idle
/// switch is in force, and shown by flows and trace, when the command returns; del-flows
/// empties the switch; plan sees the drift from the deployed configuration and deploy
/// repairs it; restart brings up a new data plane from the deployed files.
@Suite(.serialized) struct LiveEditTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"), .timeLimit(.minutes(3)))
    func flowEditsDriftAndRestart() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let daemon = try OrchestratorEndToEndTests.PrivateDaemon()
        let name = "edit-\(suffix)"
        let (left, right) = ("nfvt-el\(suffix)", "nfvt-er\(suffix)")
        func orch(_ arguments: String...) throws -> CommandResult { try daemon.orch(arguments) }
        func orch(_ command: String, _ arguments: [String]) throws -> CommandResult { try daemon.orch([command] + arguments) }
        defer {
            _ = try? orch("undeploy", name, "--force")
            daemon.remove()
        }
        let chainFile = try daemon.writeSwitchChain(name, left: left, right: right, tapPrefix: "nfvte\(suffix)", subnet: "10.226.0")
        func ping() throws -> Bool {
            try HostCommand.run(["ip", "netns", "exec", left, "ping", "-c", "1", "-W", "1", "10.226.0.2"]).status == 0
        }
        #expect(try orch("deploy", chainFile.path, "--wait").status == 0)
        #expect(try ping())
        sleep(1)  // Idle: no packet in flight when the flow is added.

        // On an idle switch the flow is in force as soon as add-flow returns.
        let added = try orch("add-flow", name, "priority=200,icmp,actions=drop")
        #expect(added.status == 0 && added.standardOutput.contains("flow added"), "\(added)")
        let flows = try orch("flows", name).standardOutput
        #expect(flows.contains("priority=200,icmp actions=drop"), "flows shows it at once: \(flows)")
        let trace = try orch("trace", name, "in_port=a,icmp,nw_src=10.226.0.1,nw_dst=10.226.0.2")
        #expect(trace.standardOutput.contains("drop"), "trace reads the live tables: \(trace)")
        #expect(!(try ping()), "the drop flow drops")

        // plan sees the run-time edit; deploy restores the configured flows.
        let drifted = try orch("plan", chainFile.path)
        #expect(drifted.status == 2 && drifted.standardOutput.contains("flows edited at run time (1 added"), "\(drifted)")
        let repaired = try orch("deploy", chainFile.path)
        #expect(repaired.status == 0 && repaired.standardOutput.contains("updated in place"), "\(repaired)")
        #expect(!(try orch("flows", name).standardOutput.contains("priority=200")))
        #expect(try ping())
        #expect(try orch("plan", chainFile.path).status == 0, "nothing left to repair")

        // del-flows empties the switch: nothing passes; plan says so, deploy repairs it.
        #expect(try orch("del-flows", name).status == 0)
        #expect(!(try ping()), "an empty switch drops")
        let emptied = try orch("plan", chainFile.path)
        #expect(emptied.status == 2 && emptied.standardOutput.contains("0 added, 1 removed"), "\(emptied)")
        #expect(try orch("deploy", chainFile.path).status == 0)
        #expect(try ping())

        // A data plane that runs another generation than the recorded one (as when the daemon
        // dies between a reload and recording it): plan says so, deploy reloads it.
        let firstGeneration = daemon.state + "/chains/\(name)/1"
        let control = daemon.directory.appendingPathComponent("run/\(name).ctl").path
        #expect(try UnixSocket.command(control, "reload \(firstGeneration)/chain.yaml sw=\(firstGeneration)/stage-sw.yaml").hasPrefix("reloaded"))
        let behind = try orch("plan", chainFile.path)
        #expect(behind.status == 2 && behind.standardOutput.contains("the data plane runs generation 1"), "\(behind)")
        #expect(try orch("deploy", chainFile.path).status == 0)
        #expect(try orch("plan", chainFile.path).status == 0, "deploy reloaded the recorded generation")

        // Structured output, read by Python: every command's -o json, yaml and wide.
        func python(_ command: [String], _ check: String) throws {
            let result = try orch(command[0], Array(command.dropFirst()))
            let file = daemon.directory.appendingPathComponent("out-\(command[0]).txt")
            try result.standardOutput.write(to: file, atomically: true, encoding: .utf8)
            let parsed = try HostCommand.run(["python3", "-c", "import json, sys\nd = json.load(open(sys.argv[1]))\n" + check, file.path])
            #expect(parsed.status == 0, "\(command): \(parsed.output)\n\(result.standardOutput)\(result.standardError)")
        }
        try python(["list", "-o", "json"], "assert [c['name'] for c in d] == ['\(name)'] and d[0]['running'] and d[0]['phase'] == 'running'")
        try python(
            ["status", name, "-o", "json"],
            "assert d['name'] == '\(name)' and d['generation'] >= 3 and d['stages'] == [{'name': 'sw', 'vnf': 'switch'}] and d['ports'][0]['interface'] == 'nfvte\(suffix)a'"
        )
        try python(["stats", name, "-o", "json"], "assert [p['name'] for p in d['ports']] == ['a', 'b'] and d['stages'][-1]['kind'] == 'switch'")
        try python(["flows", name, "-o", "json"], "assert [f['flow'] for f in d] == ['table=0,priority=0,actions=NORMAL'], d")
        try python(["plan", chainFile.path, "-o", "json"], "assert d['action'] == 'unchanged' and d['chain'] == '\(name)'")
        try python(
            ["events", name, "--since", "10m", "-o", "json"],
            "kinds = [e['kind'] for e in d]\nassert 'started' in kinds and 'update' in kinds and all(e['chain'] == '\(name)' for e in d), kinds")
        let yaml = try orch("list", "-o", "yaml").standardOutput
        #expect(yaml.contains("- name: \(name)") || yaml.contains("name: \(name)"), "\(yaml)")
        let wide = try orch("list", "-o", "wide").standardOutput
        #expect(wide.contains("PID") && wide.contains(chainFile.path), "\(wide)")
        #expect(try orch("events", "--since", "soon").status != 0, "a bad --since is an error")

        // restart: a new data plane from the deployed files, waited for.
        let before = try orch("status", chainFile.path).standardOutput
        let restarted = try orch("restart", name)
        #expect(restarted.status == 0 && restarted.standardOutput.contains("restarted"), "\(restarted)")
        let after = try orch("status", name).standardOutput
        #expect(after.contains("actual:     running"), "\(after)")
        func pid(_ status: String) -> String? {
            status.range(of: "data plane pid ").map { String(status[$0.upperBound...].prefix { $0.isNumber }) }
        }
        #expect(pid(before) != nil && pid(before) != pid(after), "\(before)\n\(after)")
        #expect(try ping())
    }
}
