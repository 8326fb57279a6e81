import ArgumentParser
import Foundation

/// `nfv-orch logs NAME`: what a chain's data plane (or the daemon) wrote.
struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a chain's data plane wrote (its plumbing, errors, counters at exit), or the daemon's log.",
        discussion:
            "Reads STATE/chains/NAME/dataplane.log (every start of the chain appends to it) or, with --daemon-log, STATE/daemon.log (STATE: NFV_ORCH_STATE_DIR, default /var/lib/nfv-orch). Works whether or not the daemon runs."
    )

    @Argument(help: "The chain's name, or its descriptor file (not with --daemon-log).")
    var chain: String?

    @Flag(help: "The daemon's log instead of a chain's.")
    var daemonLog = false

    @Option(name: .shortAndLong, help: "Only the last N lines (0: all).")
    var tail = 50

    @Flag(name: .shortAndLong, help: "Keep printing what is appended until interrupted.")
    var follow = false

    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        if daemonLog == (chain != nil) { throw ValidationError("give a chain's name, or --daemon-log") }
        if tail < 0 { throw ValidationError("--tail must be 0 or more") }
    }

    func run() throws {
        let state = daemon.paths.stateDirectory
        let path: String
        if let chain {
            let name = try chainName(chain, command: "logs")
            path = "\(state)/chains/\(name)/dataplane.log"
            guard FileManager.default.fileExists(atPath: path) else {
                printError("nfv-orch: no log for chain \(name) in \(state)/chains (is it deployed? nfv-orch list)")
                throw ExitCode.failure
            }
        } else {
            path = "\(state)/daemon.log"
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            printError("nfv-orch: cannot read \(path)" + (getuid() == 0 ? "" : " (the logs are root's: run as root)"))
            throw ExitCode.failure
        }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        for line in tail == 0 ? lines[...] : lines.suffix(tail) { printNow(String(line)) }
        while follow {
            let more = handle.availableData
            if more.isEmpty {
                usleep(200_000)
            } else {
                FileHandle.standardOutput.write(more)
            }
        }
    }
}
