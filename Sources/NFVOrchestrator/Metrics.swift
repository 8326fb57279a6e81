import Foundation

/// The daemon's `/metrics` in the Prometheus text format: per chain its state and restarts,
/// and from each running data plane per port packets and bytes each way, per stage packets in
/// and out, drops by reason, and firewall rule hits.
public enum Metrics {
    public static func text(_ supervisor: Supervisor) -> String {
        var lines: [String] = []
        var families: Set<String> = []
        func family(_ name: String, _ type: String, _ help: String) {
            guard families.insert(name).inserted else { return }
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        func label(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }
        let events = (try? supervisor.store.events(after: 0, limit: 1_000_000)) ?? []
        for chain in supervisor.list() {
            let c = "chain=\"\(label(chain.name))\""
            family("nfv_chain_up", "gauge", "1 while the chain's data plane runs")
            lines.append("nfv_chain_up{\(c)} \(chain.running ? 1 : 0)")
            family("nfv_chain_generation", "gauge", "Deployed generation of the chain")
            lines.append("nfv_chain_generation{\(c)} \(chain.generation)")
            family("nfv_chain_restarts_total", "counter", "Data plane restarts after unexpected exits")
            lines.append("nfv_chain_restarts_total{\(c)} \(chain.restarts)")
            family("nfv_chain_config_reloads_total", "counter", "Live configuration updates applied")
            lines.append("nfv_chain_config_reloads_total{\(c)} \(events.filter { $0.chain == chain.name && $0.kind == "update" }.count)")
            guard chain.running, let text = try? supervisor.stats(chain.name),
                let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            else { continue }
            for port in object["ports"] as? [[String: Any]] ?? [] {
                let p = "\(c),port=\"\(label(port["name"] as? String ?? ""))\""
                for (key, metric, help) in [
                    ("rxPackets", "nfv_port_rx_packets_total", "Frames received on the port"),
                    ("rxBytes", "nfv_port_rx_bytes_total", "Bytes received on the port"),
                    ("txPackets", "nfv_port_tx_packets_total", "Frames transmitted on the port"),
                    ("txBytes", "nfv_port_tx_bytes_total", "Bytes transmitted on the port"),
                ] {
                    family(metric, "counter", help)
                    lines.append("\(metric){\(p)} \(port[key] as? Int ?? 0)")
                }
                for (reason, count) in (port["drops"] as? [String: Int] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    family("nfv_port_drops_total", "counter", "Frames the port dropped, by reason")
                    lines.append("nfv_port_drops_total{\(p),reason=\"\(label(reason))\"} \(count)")
                }
            }
            for stage in object["stages"] as? [[String: Any]] ?? [] {
                let s = "\(c),stage=\"\(label(stage["name"] as? String ?? ""))\",kind=\"\(label(stage["kind"] as? String ?? ""))\""
                family("nfv_stage_rx_packets_total", "counter", "Packets into the stage")
                lines.append("nfv_stage_rx_packets_total{\(s)} \(stage["rx"] as? Int ?? 0)")
                family("nfv_stage_tx_packets_total", "counter", "Packets the stage forwarded")
                lines.append("nfv_stage_tx_packets_total{\(s)} \(stage["tx"] as? Int ?? 0)")
                for (reason, count) in (stage["drops"] as? [String: Int] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    family("nfv_stage_drops_total", "counter", "Packets the stage dropped, by reason")
                    lines.append("nfv_stage_drops_total{\(s),reason=\"\(label(reason))\"} \(count)")
                }
                for rule in stage["rules"] as? [[String: Any]] ?? [] {
                    let r = "\(s),rule=\"\(label(rule["name"] as? String ?? ""))\""
                    family("nfv_rule_hits_total", "counter", "Packets that met a firewall rule (rule=\"default\": the default action)")
                    lines.append("nfv_rule_hits_total{\(r)} \(rule["packets"] as? Int ?? 0)")
                    family("nfv_rule_hit_bytes_total", "counter", "Bytes of packets that met a firewall rule")
                    lines.append("nfv_rule_hit_bytes_total{\(r)} \(rule["bytes"] as? Int ?? 0)")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
