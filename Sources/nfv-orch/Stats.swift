import ArgumentParser
import Foundation

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a chain's counters: per port, per stage with drops by reason, firewall rule hits.")

    @Argument(help: "The chain's name, or its descriptor file.")
    var chain: String

    @Flag(help: "Print again every second until interrupted.")
    var watch = false

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let name = try chainName(chain, command: "stats")
        repeat {
            do {
                try daemon.client.ensureDaemon(executable: DaemonOptions.executable)
                let data = try daemon.client.request("GET", "/v1/chains/\(name)/stats")
                printNow(Self.format(data))
            } catch {
                throw fail(error)
            }
            if watch {
                sleep(1)
                printNow("")
            }
        } while watch
    }

    static func format(_ data: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return String(decoding: data, as: UTF8.self) }
        var lines: [String] = []
        func drops(_ value: Any?) -> String {
            let drops = (value as? [String: Int] ?? [:]).sorted { $0.key < $1.key }
            return drops.isEmpty ? "-" : drops.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        var rows = [["PORT", "RX", "RX BYTES", "TX", "TX BYTES", "DROPS"]]
        for port in object["ports"] as? [[String: Any]] ?? [] {
            rows.append([
                port["name"] as? String ?? "", "\(port["rxPackets"] as? Int ?? 0)", "\(port["rxBytes"] as? Int ?? 0)",
                "\(port["txPackets"] as? Int ?? 0)", "\(port["txBytes"] as? Int ?? 0)", drops(port["drops"]),
            ])
        }
        lines.append(tableText(rows))
        rows = [["STAGE", "KIND", "RX", "TX", "DROPS"]]
        var rules = [["STAGE", "RULE", "PACKETS", "BYTES"]]
        for stage in object["stages"] as? [[String: Any]] ?? [] {
            let name = stage["name"] as? String ?? ""
            rows.append([name, stage["kind"] as? String ?? "", "\(stage["rx"] as? Int ?? 0)", "\(stage["tx"] as? Int ?? 0)", drops(stage["drops"])])
            for rule in stage["rules"] as? [[String: Any]] ?? [] {
                rules.append([name, rule["name"] as? String ?? "", "\(rule["packets"] as? Int ?? 0)", "\(rule["bytes"] as? Int ?? 0)"])
            }
        }
        lines.append("")
        lines.append(tableText(rows))
        if rules.count > 1 {
            lines.append("")
            lines.append(tableText(rules))
        }
        return lines.joined(separator: "\n")
    }
}
