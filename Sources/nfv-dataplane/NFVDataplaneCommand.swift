import ArgumentParser
import Foundation
import NFVCatalog
import NFVDataplane
import NFVDescriptors
import NFVIO
import NFVIsolation
import NFVNetlink
import NFVOpenFlowAgent
import NFVPacket
import NFVPipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Set by SIGINT/SIGTERM; the data plane checks it between rounds.
let stopRequested = Atomic<Bool>(false)

@main
struct NFVDataplaneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nfv-dataplane",
        abstract: "Run one chain live on its TAP ports until SIGINT or SIGTERM.",
        discussion: """
            Plumbs what the chain's TAP ports declare (namespaces, TAP devices, addresses, MTU, \
            default routes), forwards packets through the chain's stages on one worker per TAP \
            queue (spec.workers or the ports' queues:; a worker's flows go to it by a symmetric \
            flow hash, or by the inside endpoint on a NAT's or load balancer's ports; TAPs take \
            the kernel's offloads unless a port says offloads: false), and on SIGINT/SIGTERM, a "stop" on the control socket, or after --duration \
            stops, prints the counters and removes what it created. The control socket also answers \
            "counters" ("counters json" for programs) and "reload [CHAIN] [NAME=FILE...]", which \
            applies changed firewall rules and default actions, router static routes, load-balancer \
            backends and NAT source rules and forwards to the running chain between two batches \
            (connections, neighbours, backend affinity and mappings keep their state) and refuses, \
            with the reason, anything that needs a restart (ports, workers, paths, stages, table \
            sizes, router interfaces, LB services, the NAT pool, switch configurations); "flows", \
            "add-flow FLOW" and "del-flows [MATCH]" show and change a switch stage's flows \
            (ovs-ofctl syntax; runtime only; in force when the answer comes, traffic or not); \
            "drift" says how the flows differ from the configuration, "reset-flows" restores it; \
            "conntrack", "nat", "backends" and "links" list tracked connections, NAT mappings, \
            load-balancer backends (with their health) and the TAPs' link state as JSON; "state" \
            writes the stages' runtime state (nfv-state format: tracked connections, NAT mappings, \
            load-balancer connections, switch stations, the routers' neighbours) \
            as JSON, which --restore-state takes into a new run of the chain; "hand-over" is how \
            a successor started with --take-over takes the chain (its TAP queues and state) over, \
            and "migration" on the successor reports what that move measured (pause, frames held); \
            "source" names the chain file it runs; "attach PORT|- CONTAINER-ID NETNS-PATH IFNAME" \
            makes a container port's TAP (attach: cni) in a container's network namespace and forwards \
            on it, "detach CONTAINER-ID IFNAME" removes it again, "attachments" lists them (what \
            nfv-cni asks for through nfv-orch; an orchestrated run leaves the containers' TAPs in \
            place when it ends, for the next run to attach again, a standalone run removes them); \
            "openflow" reports a switch's OpenFlow channels \
            (connections, messages, FLOW_MODs, packet-ins and -outs, errors sent by type/code, \
            TABLE_FULL refusals) as JSON. A switch with openflow: in its configuration listens \
            and connects as it says (the channels are logged). A TAP or namespace that another run holds \
            (a chain nfv-orch deployed, or another standalone run) is refused before anything \
            is made. With spec.resources the data plane first checks that its packet pools and tables \
            fit the memory limit (refused otherwise, exit status 3), then runs in its own cgroup \
            (nfv/CHAIN under each cgroup hierarchy, v1 or v2) with the CPU, CPU set and memory \
            limits. Once plumbed it sets no_new_privs and keeps only CAP_NET_ADMIN, CAP_NET_RAW and \
            CAP_SYS_ADMIN. TAP devices are not persistent: the kernel removes \
            them when the process ends, even after SIGKILL; a VXLAN port's bridge and tunnel live in \
            the port's own namespace, removed at the end (after a SIGKILL, by the next run). The \
            exception is a container's TAP (attach: cni), persistent in the container's namespace \
            so that the container keeps its interface while no data plane runs. Needs root.
            """,
        version: "nfv-dataplane " + PlatformVersion.current)

    @Argument(help: "The chain descriptor (kind: Chain) whose ports are all type: tap.")
    var chain: String

    @Option(help: "Stop after this many seconds (0: run until SIGINT/SIGTERM).")
    var duration: Double = 0

    @Option(help: "Create this file once the chain is plumbed and forwarding (for scripts to wait on); removed on exit.")
    var readyFile: String?

    @Option(
        help: ArgumentHelp(
            "The control socket (mode 0600): send \"counters\" or \"stop\" (default: /run/nfv-dataplane/CHAIN-NAME.sock).",
            valueName: "path"))
    var control: String?

    @Option(
        name: .customLong("stage-config"),
        help: ArgumentHelp(
            "Use FILE as stage NAME's configuration instead of the chain's config: path (repeatable).",
            valueName: "name=file"))
    var stageConfigs: [String] = []

    @Option(
        help: ArgumentHelp(
            "Pin worker i to the i-th CPU of this comma-separated list (cycled; default: not pinned).",
            valueName: "cpu,cpu,..."))
    var cpus: String?

    @Flag(
        help: """
            Print the memory the chain reserves (packet pools, each stage's tables, flow cache, \
            rings, runtime) and exit: 0 when it fits spec.resources.memory (or no limit is set), 3 when \
            it does not. Makes nothing.
            """)
    var checkResources = false

    @Option(
        help: ArgumentHelp(
            "Before forwarding, take the runtime state in FILE (what the control socket's \"state\" wrote: tracked connections, NAT mappings, load-balancer connections, switch stations) into the stages.",
            valueName: "file"))
    var restoreState: String?

    @Option(
        help: ArgumentHelp(
            "Take the chain over from the data plane running it, through its control socket at PATH: its TAP queues and state move here without a lost or reordered frame, and it ends (what nfv-orch migrate does).",
            valueName: "path"))
    var takeOver: String?

    @Option(
        help: ArgumentHelp(
            "Attach the containers FILE lists (a JSON array as \"attachments\" answers) to their container ports before forwarding: their TAPs outlived the previous run; one whose namespace or device is gone is left out, with a line saying why (what nfv-orch passes).",
            valueName: "file"))
    var attachments: String?

    /// Set by nfv-orch: the run is one of the orchestrator's chains, which share namespaces
    /// among themselves (a standalone run shares none).
    @Flag(help: .hidden)
    var orchestrated = false

    /// `--stage-config` as a dictionary (validated in `validate()`).
    var configOverrides: [String: String] {
        Dictionary(stageConfigs.compactMap { Self.pair($0) }, uniquingKeysWith: { _, last in last })
    }

    static func pair(_ text: String) -> (String, String)? {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// The control socket's `reload [CHAIN] [NAME=FILE ...]`: loads the chain again (from CHAIN,
    /// or the file it runs), with stage configuration overrides, and applies what can change live.
    static func reload(_ live: LiveChain, arguments: [String]) -> String {
        var path = live.loaded.descriptor.file
        var overrides: [String: String] = [:]
        for argument in arguments {
            if let (name, file) = pair(argument) { overrides[name] = file } else { path = argument }
        }
        do {
            let updated = try live.reload(try LoadedChain.load(path: path, configOverrides: overrides))
            return updated.isEmpty ? "reloaded: nothing changed" : "reloaded: " + updated.joined(separator: ", ")
        } catch let error as DescriptorErrorList {
            return "error: " + error.errors.map(\.description).joined(separator: "\n")
        } catch {
            return "error: \(error)"
        }
    }

    func validate() throws {
        if takeOver != nil, restoreState != nil {
            throw ValidationError("--take-over takes the running chain's state; --restore-state is for a chain that does not run")
        }
        for entry in stageConfigs where Self.pair(entry) == nil {
            throw ValidationError("--stage-config \(entry): expected NAME=FILE")
        }
        if let cpus, cpuList(cpus) == nil {
            throw ValidationError("--cpus \(cpus): expected CPU numbers separated by commas, such as 0,1")
        }
    }

    /// `value` as JSON (sorted keys), for the control socket's answers to programs.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "error: cannot encode the answer"
    }

    func cpuList(_ text: String) -> [Int]? {
        let numbers = text.split(separator: ",").map { Int(String($0.filter { $0 != " " })) }
        guard !numbers.isEmpty, numbers.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        return numbers.map { $0! }
    }

    func run() throws {
        let loaded: LoadedChain
        do { loaded = try LoadedChain.load(path: chain, configOverrides: configOverrides) } catch {
            printError(error.errors.map(\.description).joined(separator: "\n"))
            throw ExitCode(2)
        }
        if checkResources {
            try Self.checkResources(loaded)
            return
        }
        // A successor asks for the chain's queues first, and a restore reads its state first:
        // both key their tables and steering with the seed the state was taken under, before
        // anything makes a table. (A successor that ends before it is ready leaves the running
        // data plane forwarding.)
        let connection = try takeOver.map { try Self.connect(loaded, to: $0) }
        let restoring = try restoreState.map { try Self.readState($0) }
        // Into the chain's cgroup before anything large is allocated, so it is charged there.
        let cgroup = try Self.enterCgroup(loaded, takingOver: takeOver != nil)
        defer { cgroup?.leave() }
        // A peer that goes away before it read its answer (a control-socket client that gave
        // up, an OpenFlow controller) is an error on that write, not the end of the data plane.
        signal(SIGPIPE, SIG_IGN)
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        // A parent may have left them blocked (a child inherits the mask: Foundation's Process
        // does so): stopping must work however the data plane was started. The threads made
        // below inherit this mask.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        let claimant = Claimant(kind: orchestrated ? .orchestrated : .standalone, chain: loaded.descriptor.name, file: chain)
        let live: LiveChain
        var takeover: (ChainTakeover, stateEntries: Int, stateBytes: Int)?
        if let connection {
            (live, takeover) = try Self.takeOver(loaded, through: connection, claimant: claimant)
        } else {
            do { live = try LiveChain(loaded: loaded, claimant: claimant) } catch {
                printError("nfv-dataplane: \(error)")
                throw ExitCode(1)
            }
            if let restoring, let restoreState { try Self.restore(live, state: restoring, from: restoreState) }
        }
        // The orchestrator attaches its containers again to the data plane it starts next.
        live.keepsContainerInterfaces = orchestrated
        // Plumbed: from here on only what the running chain uses. Capabilities are per thread,
        // so this comes before any thread starts (workers, OpenFlow, control socket inherit it).
        var privileges = DataplanePrivileges.summary
        do { try DataplanePrivileges.drop() } catch {
            privileges = "privileges: not dropped (\(error)); the data plane runs with the privileges it was started with"
        }
        let cpuList = cpus.flatMap(cpuList) ?? []
        let handoverReport = Mutex<HandoverReport?>(nil)
        if let (takeover, entries, bytes) = takeover {
            // Forward at once, held frames first; the OpenFlow listener and the control socket
            // come once the predecessor ended (it closes them on its way out).
            takeover.handBacklogs(to: live)
            do {
                try live.start(cpus: cpuList)
                let report = try takeover.complete(live, stateEntries: entries, stateBytes: bytes, workersStartedAt: HeldFrames.monotonicNow())
                handoverReport.withLock { $0 = report }
                say("migration: " + report.description)
                // The old data plane ended: the cgroup is this one's alone, at the chain's limit.
                if let cgroup, let limit = loaded.descriptor.resources?.memoryBytes {
                    do { try cgroup.setMemoryLimit(limit) } catch {
                        say("cgroup: the memory limit stays at room for two data planes: \(error)")
                    }
                }
            } catch {
                printError("nfv-dataplane: --take-over: \(error)")
                live.tearDown()
                throw ExitCode(1)
            }
        }
        let handedOver = Atomic<Bool>(false)
        let agent: OpenFlowAgent?
        do { agent = try Self.startOpenFlow(live, log: { line in Self.sayLine(line) }) } catch {
            printError("nfv-dataplane: OpenFlow: \(error)")
            live.tearDown()
            throw ExitCode(1)
        }
        defer { agent?.stop() }
        let controlSocket: ControlSocket
        do {
            controlSocket = try ControlSocket(
                path: control ?? "\(NamespaceMark.directory)/\(loaded.descriptor.name).sock",
                commands: [
                    "counters": { arguments in
                        arguments.first == "json" ? live.counters().json : CounterReport.text(live.counters())
                    },
                    "reload": { arguments in Self.reload(live, arguments: arguments) },
                    "flows": { _ in live.dumpFlows() },
                    "drift": { _ in live.drift().isEmpty ? "none" : live.drift().joined(separator: "\n") },
                    "reset-flows": { _ in live.resetFlows() },
                    "conntrack": { _ in Self.json(live.trackedConnections()) },
                    "nat": { _ in Self.json(live.natMappings()) },
                    "backends": { _ in Self.json(live.backends()) },
                    "links": { _ in Self.json(live.links()) },
                    "state": { _ in Self.json(live.exportState()) },
                    "source": { _ in live.loaded.descriptor.file },
                    "openflow": { _ in
                        guard let agent else { return "error: no OpenFlow channel (no openflow: in the switch's configuration)" }
                        return Self.json(OpenFlowReport(counts: agent.statistics.current, packetInOverflows: live.packetInOverflows))
                    },
                    "migration": { _ in
                        handoverReport.withLock { $0 }.map { Self.json($0) } ?? "error: this data plane did not take its chain over"
                    },
                    "add-flow": { arguments in
                        do { return try live.addFlow(arguments.joined(separator: " ")) } catch { return "error: \(error)" }
                    },
                    "del-flows": { arguments in
                        do { return try live.deleteFlows(arguments.joined(separator: " ")) } catch { return "error: \(error)" }
                    },
                    "attach": { arguments in
                        guard arguments.count == 4 else { return "error: expected: attach PORT|- CONTAINER-ID NETNS-PATH IFNAME" }
                        do {
                            let view = try live.attach(
                                port: arguments[0] == "-" ? nil : arguments[0], containerID: arguments[1], namespacePath: arguments[2],
                                interface: arguments[3])
                            Self.sayLine("port \(view.port): container \(view.containerID) attached (\(view.interface) in \(view.namespacePath))")
                            return Self.json(view)
                        } catch { return "error: \(error)" }
                    },
                    "detach": { arguments in
                        guard arguments.count == 2 else { return "error: expected: detach CONTAINER-ID IFNAME" }
                        guard let view = live.detach(containerID: arguments[0], interface: arguments[1]) else { return "not attached" }
                        Self.sayLine("port \(view.port): container \(view.containerID) detached (\(view.interface) removed)")
                        return "detached from port \(view.port)"
                    },
                    "attachments": { _ in Self.json(live.containerAttachments()) },
                ],
                sessions: [
                    "hand-over": { connection, arguments in
                        let (done, note) = live.handOver(
                            on: HandoverChannel(descriptor: connection), arguments: arguments,
                            resume: { try? live.start(cpus: cpuList) })
                        Self.sayLine(note)
                        guard done else { return }
                        // Kept open until this process ends: the successor waits for that
                        // before it takes the control socket and OpenFlow ports over.
                        _ = dup(connection)
                        handedOver.store(true, ordering: .releasing)
                    }
                ])
        } catch {
            printError("nfv-dataplane: \(error)")
            agent?.stop()
            live.tearDown()
            throw ExitCode(1)
        }
        defer { controlSocket.close() }
        for line in live.log { say(line) }
        if let attachments { Self.attachAgain(live, from: attachments) }
        say(privileges)
        say(
            "control socket \(controlSocket.path): one command line per connection (\"counters\", \"stop\"...; "
                + "nfv-dataplane --help lists them)")
        say("chain \(loaded.descriptor.name): forwarding on \(live.workerCount) worker(s) (SIGINT or SIGTERM stops)")
        if let readyFile {
            let descriptor = creat(readyFile, 0o644)
            if descriptor >= 0 { close(descriptor) }
        }
        // After a hand-over the file is the successor's.
        defer { if let readyFile, !handedOver.load(ordering: .acquiring) { unlink(readyFile) } }
        var started = timespec()
        clock_gettime(CLOCK_MONOTONIC, &started)
        let limit = duration
        do {
            try live.run(
                until: {
                    if stopRequested.load(ordering: .relaxed) || controlSocket.stopRequested.load(ordering: .relaxed)
                        || handedOver.load(ordering: .relaxed)
                    {
                        return true
                    }
                    guard limit > 0 else { return false }
                    var now = timespec()
                    clock_gettime(CLOCK_MONOTONIC, &now)
                    return Double(now.tv_sec - started.tv_sec) + Double(now.tv_nsec - started.tv_nsec) / 1e9 >= limit
                }, cpus: cpuList)
        } catch {
            printError("nfv-dataplane: \(error)")
        }
        say(CounterReport.text(live.counters()))
        live.tearDown()
        if handedOver.load(ordering: .acquiring) {
            say("chain \(loaded.descriptor.name): handed over; its ports, namespaces and cgroup stay with the successor")
        } else {
            say("chain \(loaded.descriptor.name): stopped, ports and created namespaces removed")
        }
    }

    /// Writes a line to standard output at once (unbuffered: a log file sees it as it happens).
    func say(_ text: String) { Self.sayLine(text) }

    static func sayLine(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
    }

    /// The switch stage's OpenFlow channels, when its configuration has `openflow:`.
    static func startOpenFlow(_ live: LiveChain, log: @escaping @Sendable (String) -> Void) throws(OpenFlowAgentError) -> OpenFlowAgent? {
        guard let (stage, configuration) = live.switchStageConfiguration, let settings = configuration.openflow else { return nil }
        let session = OpenFlowSession.Settings(
            datapathID: settings.datapathID, tableCount: settings.tableCount, flowCapacity: settings.flowCapacity,
            datapathDescription: "chain \(live.loaded.descriptor.name), switch stage \(stage)",
            softwareVersion: "nfv-dataplane " + PlatformVersion.current)
        let agent = try OpenFlowAgent(settings: settings, session: session, datapath: live, log: log)
        let listening = settings.listen.map(\.description).joined(separator: ", ")
        let connecting = settings.controllers.map(\.description).joined(separator: ", ")
        log(
            "openflow: switch \(stage), datapath 0x\(String(settings.datapathID, radix: 16))"
                + (listening.isEmpty ? "" : ", listening on \(listening)") + (connecting.isEmpty ? "" : ", controllers \(connecting)")
                + ", fail mode \(settings.failMode.rawValue)")
        return agent
    }

    func printError(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}

/// The `openflow` control command's answer: the channels' counts and the packets lost on the
/// way to the controller.
struct OpenFlowReport: Encodable {
    var counts: OpenFlowStatistics.Counts
    var packetInOverflows: UInt64
}
