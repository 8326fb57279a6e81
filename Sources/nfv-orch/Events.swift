import ArgumentParser
import Foundation
import NFVOrchestrator

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the event log: deploys, updates, starts, exits, restarts, adoptions, backend changes.",
        discussion: """
            One line per event: time (ISO 8601), chain, kind, message. NAME shows one chain's \
            events; --since keeps the recent ones (30s, 10m, 2h, 1d, or an ISO 8601 time). With \
            -o json, one JSON object per line (JSON Lines: id, at (seconds since 1970), chain, kind, \
            message), so --follow feeds programs too.
            """)

    @Argument(help: "Only this chain's events (its name, or its descriptor file).")
    var chain: String?

    @Option(help: "Only events since this long ago (30s, 10m, 2h, 1d) or this ISO 8601 time.")
    var since: String?

    @Flag(help: "Keep printing new events until interrupted.")
    var follow = false

    @OptionGroup var format: OutputOptions
    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        if let since, Self.start(since) == nil {
            throw ValidationError("--since \(since): give a duration (30s, 10m, 2h, 1d) or an ISO 8601 time (2026-12-05T18:00:00Z)")
        }
    }

    /// The epoch second `since` means.
    static func start(_ since: String) -> Double? {
        if let time = ISO8601DateFormatter().date(from: since) { return time.timeIntervalSince1970 }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = since.last.flatMap({ units[$0] }), let amount = Double(since.dropLast()), amount >= 0 else { return nil }
        return Date().timeIntervalSince1970 - amount * unit
    }

    func run() throws {
        let name = try chain.map { try chainName($0, command: "events") }
        let from = since.flatMap(Self.start) ?? 0
        var last: Int64 = 0
        let formatter = ISO8601DateFormatter()
        var offline: Supervisor?
        var triedOffline = false
        repeat {
            let events: [StateStore.Event]
            if let offline {
                events = (try? offline.store.events(after: last)) ?? []
            } else {
                switch fetch(after: last) {
                case .success(let fetched): events = fetched
                case .failure(.notRunning) where !triedOffline:
                    triedOffline = true
                    offline = try offlineSupervisor(daemon)
                    events = (try? offline?.store.events(after: last)) ?? []
                case .failure(let error): throw fail(error)
                }
            }
            last = events.last?.id ?? last
            let shown = events.filter { ($0.chain == name || name == nil) && $0.at >= from }
            if !follow, format.output == .json || format.output == .yaml {
                _ = try format.printStructured(shown)
                return
            }
            for event in shown where try !format.printRecord(event) {
                printNow("\(formatter.string(from: Date(timeIntervalSince1970: event.at)))  \(event.chain)  \(event.kind)  \(event.message)")
            }
            if follow { usleep(500_000) }
        } while follow
    }

    /// The daemon's events after `last`.
    func fetch(after last: Int64) -> Result<[StateStore.Event], OrchestratorClient.ClientError> {
        do { return .success(try daemon.client.get([StateStore.Event].self, "/v1/events?after=\(last)")) } catch { return .failure(error) }
    }
}
