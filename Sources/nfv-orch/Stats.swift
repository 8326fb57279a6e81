import ArgumentParser
import Foundation

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a chain's counters: per port, per stage with drops by reason, firewall rule hits.",
        discussion: """
            --watch prints again every second with a timestamp and, from the second sample on, \
            packets per second per port and stage; on a terminal it redraws in place, into a pipe \
            or a file it appends (each sample written at once). -o json (or yaml) prints the data \
            plane's counters object (docs/openapi.yaml: Counters); with --watch, one compact JSON \
            object per line with the sample's time in "at".
            """)

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @Flag(help: "Print again every second until interrupted.")
    var watch = false

    @OptionGroup var format: OutputOptions
    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let name = try chainName(chain, command: "stats")
        let terminal = isatty(STDOUT_FILENO) == 1
        var previous: (at: Date, object: [String: Any])?
        repeat {
            let data: Data
            do {
                data = try daemon.client.request("GET", "/v1/chains/\(name)/stats")
            } catch .notRunning {
                guard let offline = try offlineSupervisor(daemon) else {
                    printError("nfv-orch: no chain \(name) is deployed; nothing is deployed")
                    throw ExitCode.failure
                }
                do { data = Data(try offline.stats(name).utf8) } catch {
                    printError("nfv-orch: \(error)")
                    throw ExitCode.failure
                }
            } catch {
                throw fail(error)
            }
            let now = Date()
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            if format.output == .json && watch, var sample = object {
                sample["at"] = now.timeIntervalSince1970
                printNow(String(decoding: try JSONSerialization.data(withJSONObject: sample, options: [.sortedKeys]), as: UTF8.self))
            } else if try !format.printStructured(json: data) {
                let rates = previous.map { (seconds: now.timeIntervalSince($0.at), before: $0.object) }
                let body = Self.format(data, rates: rates)
                let header = watch ? "\(ISO8601DateFormatter().string(from: now))  nfv-orch stats \(name)  (every 1 s)\n" : ""
                if watch && terminal {
                    printNow("\u{1B}[H\u{1B}[2J" + header + "\n" + body)
                } else {
                    printNow(header + body + (watch ? "\n" : ""))
                }
            }
            previous = object.map { (now, $0) }
            if watch { sleep(1) }
        } while watch
    }

    /// The counters as tables; with `rates` (the previous sample and the seconds since),
    /// packets per second per port and stage too.
    static func format(_ data: Data, rates: (seconds: Double, before: [String: Any])? = nil) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return String(decoding: data, as: UTF8.self) }
        /// Packets per second of `key` in the item named `name` of list `list`.
        func rate(_ list: String, _ name: String, _ key: String, now: Int) -> [String] {
            guard let rates, rates.seconds > 0 else { return [] }
            let before = (rates.before[list] as? [[String: Any]] ?? []).first { $0["name"] as? String == name }?[key] as? Int ?? now
            return [String(format: "%.0f", Double(max(now - before, 0)) / rates.seconds)]
        }
        let rateColumns = rates == nil ? 0 : 1
        var lines: [String] = []
        func drops(_ value: Any?) -> String {
            let drops = (value as? [String: Int] ?? [:]).sorted { $0.key < $1.key }
            return drops.isEmpty ? "-" : drops.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        var rows = [["PORT", "RX", "RX BYTES", "TX", "TX BYTES"] + (rateColumns > 0 ? ["RX/S", "TX/S"] : []) + ["DROPS"]]
        for port in object["ports"] as? [[String: Any]] ?? [] {
            let name = port["name"] as? String ?? ""
            let (rx, tx) = (port["rxPackets"] as? Int ?? 0, port["txPackets"] as? Int ?? 0)
            rows.append(
                [name, "\(rx)", "\(port["rxBytes"] as? Int ?? 0)", "\(tx)", "\(port["txBytes"] as? Int ?? 0)"]
                    + rate("ports", name, "rxPackets", now: rx) + rate("ports", name, "txPackets", now: tx) + [drops(port["drops"])])
        }
        lines.append(tableText(rows))
        rows = [["STAGE", "KIND", "RX", "TX"] + (rateColumns > 0 ? ["RX/S"] : []) + ["DROPS"]]
        var rules = [["STAGE", "RULE", "PACKETS", "BYTES"]]
        var colours = [["STAGE", "COLOUR", "PACKETS", "BYTES"]]
        for stage in object["stages"] as? [[String: Any]] ?? [] {
            let name = stage["name"] as? String ?? ""
            let rx = stage["rx"] as? Int ?? 0
            rows.append(
                [name, stage["kind"] as? String ?? "", "\(rx)", "\(stage["tx"] as? Int ?? 0)"] + rate("stages", name, "rx", now: rx)
                    + [drops(stage["drops"])])
            for rule in stage["rules"] as? [[String: Any]] ?? [] {
                rules.append([name, rule["name"] as? String ?? "", "\(rule["packets"] as? Int ?? 0)", "\(rule["bytes"] as? Int ?? 0)"])
            }
            let counted = stage["colours"] as? [String: [String: Any]] ?? [:]
            for colour in ["green", "yellow", "red"] where counted[colour] != nil {
                colours.append([name, colour, "\(counted[colour]?["packets"] as? Int ?? 0)", "\(counted[colour]?["bytes"] as? Int ?? 0)"])
            }
        }
        lines.append("")
        lines.append(tableText(rows))
        for table in [rules, colours] where table.count > 1 {
            lines.append("")
            lines.append(tableText(table))
        }
        return lines.joined(separator: "\n")
    }
}
