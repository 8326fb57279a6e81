import Foundation
import NFVCatalog
import NFVDescriptors

/// A chain as a picture: its ports (with the TAP, namespace and address behind each), its
/// stages in order, and the path between them: traffic entering on the first port passes the
/// stages in order and leaves on the second; the reverse direction passes them in reverse
/// (dashed). Graphviz's `dot` turns the DOT text into SVG.
public enum ChainGraph {
    public static func dot(_ chain: LoadedChain) -> String {
        let descriptor = chain.descriptor
        var lines = [
            "digraph \"\(escape(descriptor.name))\" {",
            "  rankdir=LR;",
            "  labelloc=t;",
            "  label=\"chain \(escape(descriptor.name))\";",
            "  node [fontname=\"Helvetica\", fontsize=11];",
            "  edge [fontname=\"Helvetica\", fontsize=9];",
        ]
        for port in descriptor.ports {
            lines.append(
                "  \"port:\(escape(port.name))\" [shape=box, style=\"rounded,filled\", fillcolor=\"#dde8f4\", "
                    + "label=\"\(escape(portLabel(port)))\"];")
        }
        for stage in descriptor.stages {
            let config = stage.config.map { "\\n" + escape(($0 as NSString).lastPathComponent) } ?? ""
            lines.append(
                "  \"stage:\(escape(stage.name))\" [shape=ellipse, style=filled, fillcolor=\"#f4ecd8\", "
                    + "label=\"\(escape(stage.name))\\n(\(escape(stage.vnf)))\(config)\"];")
        }
        let path =
            ["port:" + (descriptor.ports.first?.name ?? "")] + descriptor.stages.map { "stage:" + $0.name }
            + (descriptor.ports.count > 1 ? ["port:" + descriptor.ports[1].name] : [])
        for (from, to) in zip(path, path.dropFirst()) {
            lines.append("  \"\(escape(from))\" -> \"\(escape(to))\";")
        }
        if descriptor.ports.count > 1 {
            for (from, to) in zip(path.reversed(), path.reversed().dropFirst()) {
                lines.append("  \"\(escape(from))\" -> \"\(escape(to))\" [style=dashed, color=\"#777777\", constraint=false];")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The same as JSON: nodes (ports and stages) and edges (forward and reverse).
    public static func json(_ chain: LoadedChain) throws -> String {
        struct Node: Encodable {
            var id: String
            var kind: String
            var label: String
        }
        struct Edge: Encodable {
            var from: String
            var to: String
            var direction: String
        }
        struct Graph: Encodable {
            var chain: String
            var nodes: [Node]
            var edges: [Edge]
        }
        let descriptor = chain.descriptor
        let nodes =
            descriptor.ports.map { Node(id: "port:" + $0.name, kind: "port", label: portLabel($0)) }
            + descriptor.stages.map { Node(id: "stage:" + $0.name, kind: $0.vnf, label: $0.name) }
        let path =
            ["port:" + (descriptor.ports.first?.name ?? "")] + descriptor.stages.map { "stage:" + $0.name }
            + (descriptor.ports.count > 1 ? ["port:" + descriptor.ports[1].name] : [])
        var edges = zip(path, path.dropFirst()).map { Edge(from: $0, to: $1, direction: "forward") }
        if descriptor.ports.count > 1 {
            edges += zip(path.reversed(), path.reversed().dropFirst()).map { Edge(from: $0, to: $1, direction: "reverse") }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(Graph(chain: descriptor.name, nodes: nodes, edges: edges)), as: UTF8.self) + "\n"
    }

    static func portLabel(_ port: PortDescriptor) -> String {
        var label = "port \(port.name)"
        if let tap = port.tap {
            label += "\nTAP \(tap.interfaceName)"
            if let namespace = tap.namespace { label += "\nnetns \(namespace)" }
            if let address = tap.address { label += "\n\(address)" }
        } else {
            label += "\n(\(port.kind.rawValue))"
        }
        return label
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
