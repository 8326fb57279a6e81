import ArgumentParser
import Foundation
import NFVOrchestrator

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the event log: deploys, updates, starts, exits, restarts, adoptions.")

    @Flag(help: "Keep printing new events until interrupted.")
    var follow = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        var last: Int64 = 0
        let formatter = ISO8601DateFormatter()
        do { try daemon.client.ensureDaemon(executable: DaemonOptions.executable) } catch { throw fail(error) }
        repeat {
            do {
                for event in try daemon.client.get([StateStore.Event].self, "/v1/events?after=\(last)") {
                    printNow("\(formatter.string(from: Date(timeIntervalSince1970: event.at)))  \(event.chain)  \(event.kind)  \(event.message)")
                    last = event.id
                }
            } catch {
                throw fail(error)
            }
            if follow { usleep(500_000) }
        } while follow
    }
}
