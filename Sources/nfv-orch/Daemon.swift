import ArgumentParser
import Foundation
import NFVOrchestrator

#if canImport(Glibc)
    import Glibc
#endif

/// `nfv-orch daemon start|stop|status`: the daemon without a deploy.
struct Daemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start, stop or look at the orchestrator daemon.",
        discussion: """
            deploy, undeploy, restart, add-flow and del-flows start the daemon when none runs; \
            the commands that only look (list, status, stats, events) never do: without a daemon \
            they read the recorded state. Stopping the daemon leaves data planes running; the \
            next daemon adopts them.
            """,
        subcommands: [Start.self, Stop.self, Show.self])

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the daemon in the background (no-op when one runs).")
        @OptionGroup var daemon: DaemonOptions

        func run() throws {
            do { try daemon.client.ensureDaemon(executable: DaemonOptions.executable) } catch { throw fail(error) }
            print("nfv-orch: the daemon runs" + (Self.pid(daemon).map { " (pid \($0))" } ?? "") + " on \(daemon.paths.socketPath)")
        }

        /// The daemon's pid from its pid file, when that process still runs `nfv-orch serve`.
        static func pid(_ daemon: DaemonOptions) -> pid_t? {
            guard let text = try? String(contentsOfFile: daemon.paths.stateDirectory + "/daemon.pid", encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                let arguments = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return nil }
            return arguments.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == "serve" } ? pid : nil
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the daemon (SIGTERM); data planes keep running.")
        @OptionGroup var daemon: DaemonOptions

        func run() throws {
            guard let pid = Start.pid(daemon) else {
                print("nfv-orch: no daemon runs")
                return
            }
            kill(pid, SIGTERM)
            for _ in 0..<100 where kill(pid, 0) == 0 {
                var status: Int32 = 0
                _ = waitpid(pid, &status, WNOHANG)
                usleep(50_000)
            }
            if kill(pid, 0) == 0 {
                kill(pid, SIGKILL)
                print("nfv-orch: the daemon (pid \(pid)) did not stop within 5 s: killed")
            } else {
                print("nfv-orch: the daemon (pid \(pid)) stopped; data planes keep running")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Say whether the daemon runs, and where (exit 0: it runs; 3: it does not).")
        @OptionGroup var daemon: DaemonOptions

        func run() throws {
            let paths = daemon.paths
            if daemon.client.isDaemonRunning {
                print("running" + (Start.pid(daemon).map { ", pid \($0)" } ?? "") + ", socket \(paths.socketPath), state \(paths.stateDirectory)")
            } else {
                print("not running (socket \(paths.socketPath), state \(paths.stateDirectory))")
                throw ExitCode(3)
            }
        }
    }
}
