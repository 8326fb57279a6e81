import ArgumentParser
import NFVDataplane
import NFVDescriptors
import NFVReplay
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
            default routes), forwards packets through the chain's stages on one worker, and on \
            SIGINT/SIGTERM, a "stop" on the control socket, or after --duration stops, prints the \
            counters and removes what it created. The control socket also answers "counters". TAP devices are not persistent: the kernel removes them when the process \
            ends, even after SIGKILL. Needs root (or CAP_NET_ADMIN).
            """)

    @Argument(help: "The chain descriptor (kind: Chain) whose ports are all type: tap.")
    var chain: String

    @Option(help: "Stop after this many seconds (0: run until SIGINT/SIGTERM).")
    var duration: Double = 0

    @Option(help: "Create this file once the chain is plumbed and forwarding (for scripts to wait on); removed on exit.")
    var readyFile: String?

    @Option(help: ArgumentHelp("The control socket (mode 0600): send \"counters\" or \"stop\" (default: /run/nfv-dataplane/CHAIN-NAME.sock).",
                               valueName: "path"))
    var control: String?

    @Option(help: ArgumentHelp("Pin worker i to the i-th CPU of this comma-separated list (cycled; default: not pinned).",
                               valueName: "cpu,cpu,..."))
    var cpus: String?

    func validate() throws {
        if let cpus, cpuList(cpus) == nil {
            throw ValidationError("--cpus \(cpus): expected CPU numbers separated by commas, such as 0,1")
        }
    }

    func cpuList(_ text: String) -> [Int]? {
        let numbers = text.split(separator: ",").map { Int(String($0.filter { $0 != " " })) }
        guard !numbers.isEmpty, numbers.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        return numbers.map { $0! }
    }

    func run() throws {
        let loaded: LoadedChain
        do { loaded = try ChainFactory.load(path: chain) } catch {
            printError(error.errors.map(\.description).joined(separator: "\n"))
            throw ExitCode(2)
        }
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        let live: LiveChain
        do { live = try LiveChain(loaded: loaded) } catch {
            printError("nfv-dataplane: \(error)")
            throw ExitCode(1)
        }
        let controlSocket: ControlSocket
        do {
            controlSocket = try ControlSocket(path: control ?? "\(LiveChain.markDirectory)/\(loaded.descriptor.name).sock") {
                CounterReport.text(live.counters())
            }
        } catch {
            printError("nfv-dataplane: \(error)")
            live.tearDown()
            throw ExitCode(1)
        }
        defer { controlSocket.close() }
        for line in live.log { say(line) }
        say("control socket \(controlSocket.path): send one line, \"counters\" or \"stop\" (with socat or nc -U, for example)")
        say("chain \(loaded.descriptor.name): forwarding on \(live.workerCount) worker(s) (SIGINT or SIGTERM stops)")
        if let readyFile {
            let descriptor = creat(readyFile, 0o644)
            if descriptor >= 0 { close(descriptor) }
        }
        defer { if let readyFile { unlink(readyFile) } }
        var started = timespec()
        clock_gettime(CLOCK_MONOTONIC, &started)
        let limit = duration
        do {
            try live.run(until: {
                if stopRequested.load(ordering: .relaxed) || controlSocket.stopRequested.load(ordering: .relaxed) { return true }
                guard limit > 0 else { return false }
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                return Double(now.tv_sec - started.tv_sec) + Double(now.tv_nsec - started.tv_nsec) / 1e9 >= limit
            }, cpus: cpus.flatMap(cpuList) ?? [])
        } catch {
            printError("nfv-dataplane: \(error)")
        }
        say(CounterReport.text(live.counters()))
        live.tearDown()
        say("chain \(loaded.descriptor.name): stopped, ports and created namespaces removed")
    }

    /// Writes a line to standard output at once (unbuffered: a log file sees it as it happens).
    func say(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
    }

    func printError(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
