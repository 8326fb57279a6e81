import ArgumentParser
import Foundation
import NFVOrchestrator

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List deployed chains.",
        discussion: "Asks the daemon; when none runs, reads the recorded state (it never starts one).")

    @OptionGroup var format: OutputOptions
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let chains: [Supervisor.ChainStatus]
        do {
            chains = try daemon.client.get([Supervisor.ChainStatus].self, "/v1/chains")
        } catch .notRunning {
            chains = try offlineSupervisor(daemon)?.list() ?? []
        } catch {
            throw fail(error)
        }
        if try format.printStructured(chains) { return }
        let header = ["NAME", "PHASE", "RUNNING", "GEN", "RESTARTS", "STAGES"] + (format.wide ? ["PID", "PORTS", "FILE"] : [])
        printTable([header] + chains.map(row))
    }

    func row(_ chain: Supervisor.ChainStatus) -> [String] {
        let phase = chain.phase + (chain.restartInSeconds.map { String(format: " (in %.1fs)", $0) } ?? "")
        var cells = [
            chain.name, phase, chain.running ? "yes" : "no", "\(chain.generation)", "\(chain.restarts)",
            chain.stages.map(\.description).joined(separator: " -> "),
        ]
        if format.wide { cells += [chain.pid.map { String($0) } ?? "-", chain.ports.map(\.description).joined(separator: ", "), chain.file] }
        return cells
    }
}
