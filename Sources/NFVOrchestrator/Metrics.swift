import Foundation
import Prometheus

/// The daemon's `/metrics` in the Prometheus text format, built per scrape in a registry of
/// swift-prometheus (so each family is written once, with its HELP and TYPE, whatever the
/// number of chains): per chain its state, generation, restarts and reloads, and from each
/// running data plane per port packets and bytes each way, drops by reason and whether the
/// port is up, and each TAP's link (nfv_port_link_up); per stage packets in and out and drops by reason; firewall rule hits; switch
/// flow counters; load-balancer backend health.
public enum Metrics {
    public static func text(_ supervisor: Supervisor) -> String {
        let registry = PrometheusCollectorRegistry()
        func counter(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Int) {
            registry.makeCounter(name: name, labels: labels, help: help).increment(by: Int64(value))
        }
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double) {
            registry.makeGauge(name: name, labels: labels, help: help).set(value)
        }
        let events = (try? supervisor.store.events(after: 0, limit: 1_000_000)) ?? []
        for chain in supervisor.list() {
            let c = [("chain", chain.name)]
            gauge("nfv_chain_up", "1 while the chain's data plane runs", c, chain.running ? 1 : 0)
            gauge("nfv_chain_generation", "Deployed generation of the chain", c, Double(chain.generation))
            counter("nfv_chain_restarts_total", "Data plane restarts after unexpected exits", c, chain.restarts)
            counter(
                "nfv_chain_config_reloads_total", "Live configuration updates applied", c,
                events.filter { $0.chain == chain.name && $0.kind == "update" }.count)
            for backend in chain.backends ?? [] {
                gauge(
                    "nfv_lb_backend_up", "1 while a load-balancer backend takes new flows (up and healthy)",
                    c + [("stage", backend.stage), ("service", backend.service), ("backend", backend.backend)],
                    backend.state == "up" ? 1 : 0)
            }
            for link in chain.links ?? [] {
                gauge(
                    "nfv_port_link_up", "1 while a TAP port's kernel side is there and up (ip link)",
                    c + [("port", link.port), ("interface", link.interface)], link.up && link.present ? 1 : 0)
            }
            guard chain.running, let text = try? supervisor.stats(chain.name),
                let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            else { continue }
            for port in object["ports"] as? [[String: Any]] ?? [] {
                let p = c + [("port", port["name"] as? String ?? "")]
                for (key, metric, help) in [
                    ("rxPackets", "nfv_port_rx_packets_total", "Frames received on the port"),
                    ("rxBytes", "nfv_port_rx_bytes_total", "Bytes received on the port"),
                    ("txPackets", "nfv_port_tx_packets_total", "Frames transmitted on the port"),
                    ("txBytes", "nfv_port_tx_bytes_total", "Bytes transmitted on the port"),
                ] {
                    counter(metric, help, p, port[key] as? Int ?? 0)
                }
                gauge(
                    "nfv_port_up", "1 while the port's TAP device is there (0 once the kernel removed it)", p, port["down"] as? Bool == true ? 0 : 1)
                for (reason, count) in (port["drops"] as? [String: Int] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    counter("nfv_port_drops_total", "Frames the port dropped, by reason", p + [("reason", reason)], count)
                }
            }
            for stage in object["stages"] as? [[String: Any]] ?? [] {
                let s = c + [("stage", stage["name"] as? String ?? ""), ("kind", stage["kind"] as? String ?? "")]
                counter("nfv_stage_rx_packets_total", "Packets into the stage", s, stage["rx"] as? Int ?? 0)
                counter("nfv_stage_tx_packets_total", "Packets the stage forwarded", s, stage["tx"] as? Int ?? 0)
                for (reason, count) in (stage["drops"] as? [String: Int] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    counter("nfv_stage_drops_total", "Packets the stage dropped, by reason", s + [("reason", reason)], count)
                }
                for rule in stage["rules"] as? [[String: Any]] ?? [] {
                    let r = s + [("rule", rule["name"] as? String ?? "")]
                    counter(
                        "nfv_rule_hits_total", "Packets that met a firewall rule (rule=\"default\": the default action)", r,
                        rule["packets"] as? Int ?? 0)
                    counter("nfv_rule_hit_bytes_total", "Bytes of packets that met a firewall rule", r, rule["bytes"] as? Int ?? 0)
                }
                for (colour, count) in (stage["colours"] as? [String: [String: Any]] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let k = s + [("colour", colour)]
                    counter("nfv_policer_packets_total", "Packets a policer marked, by colour", k, count["packets"] as? Int ?? 0)
                    counter("nfv_policer_bytes_total", "Bytes of packets a policer marked, by colour", k, count["bytes"] as? Int ?? 0)
                }
                for flow in stage["flows"] as? [[String: Any]] ?? [] {
                    let f = s + [("flow", flow["flow"] as? String ?? "")]
                    counter("nfv_flow_packets_total", "Packets that met a switch flow", f, flow["packets"] as? Int ?? 0)
                    counter("nfv_flow_bytes_total", "Bytes of packets that met a switch flow", f, flow["bytes"] as? Int ?? 0)
                }
            }
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
