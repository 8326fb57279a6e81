import Foundation
import NFVCatalog
import NFVDescriptors

/// A chain as a picture: its ports (with the TAP, namespace and address behind each), its
/// stages, and the ways traffic takes between them, as the data plane runs it:
///
/// - a chain with `paths:` draws each service path in its own colour (from its `from` port
///   through its stages to its `to` port; the way back, for symmetric paths, dashed in the same
///   colour), a legend names each path's match and priority, and the title says what happens
///   to unmatched traffic;
/// - a chain with more than two ports (a switch chain) draws every port into the first stage
///   and out of the last: any port's traffic may leave by any other;
/// - otherwise traffic entering on the first port passes the stages in order and leaves on the
///   second; the reverse direction passes them in reverse (dashed).
///
/// Graphviz's `dot` turns the DOT text into SVG.
public enum ChainGraph {
    /// One arrow: `direction` forward, reverse (a path's or the chain's way back), in or out
    /// (a switch chain's ports); `path` names the service path it belongs to.
    public struct Edge: Encodable, Equatable, Sendable {
        public var from: String
        public var to: String
        public var direction: String
        public var path: String?
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]

    /// The arrows of `chain`, by the rules above.
    public static func edges(_ chain: LoadedChain) -> [Edge] {
        let descriptor = chain.descriptor
        func walk(_ nodes: [String], _ direction: String, _ path: String?) -> [Edge] {
            zip(nodes, nodes.dropFirst()).map { Edge(from: $0, to: $1, direction: direction, path: path) }
        }
        if !descriptor.paths.isEmpty {
            return descriptor.paths.flatMap { path in
                let nodes = ["port:" + path.from] + path.through.map { "stage:" + $0 } + ["port:" + path.to]
                return walk(nodes, "forward", path.name) + (path.symmetric ? walk(nodes.reversed(), "reverse", path.name) : [])
            }
        }
        let stages = descriptor.stages.map { "stage:" + $0.name }
        if descriptor.ports.count > 2, let first = stages.first, let last = stages.last {
            return descriptor.ports.map { Edge(from: "port:" + $0.name, to: first, direction: "in", path: nil) }
                + walk(stages, "forward", nil)
                + descriptor.ports.map { Edge(from: last, to: "port:" + $0.name, direction: "out", path: nil) }
        }
        let nodes =
            ["port:" + (descriptor.ports.first?.name ?? "")] + stages + (descriptor.ports.count > 1 ? ["port:" + descriptor.ports[1].name] : [])
        return walk(nodes, "forward", nil) + (descriptor.ports.count > 1 ? walk(nodes.reversed(), "reverse", nil) : [])
    }

    public static func dot(_ chain: LoadedChain) -> String {
        let descriptor = chain.descriptor
        let title =
            "chain \(descriptor.name)"
            + (descriptor.paths.isEmpty ? "" : "\n(traffic no path matches: \(descriptor.unmatched == .drop ? "dropped" : "switched at L2"))")
        var lines = [
            "digraph \"\(escape(descriptor.name))\" {",
            "  rankdir=LR;",
            "  labelloc=t;",
            "  label=\"\(escape(title))\";",
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
        let colours = Dictionary(
            descriptor.paths.enumerated().map { ($1.name, palette[$0 % palette.count]) }, uniquingKeysWith: { first, _ in first })
        for edge in edges(chain) {
            var attributes: [String] = []
            if let path = edge.path, let colour = colours[path] {
                attributes += ["color=\"\(colour)\"", "fontcolor=\"\(colour)\""]
                if edge.direction == "forward" { attributes.append("label=\"\(escape(path))\"") }
            } else if edge.direction == "reverse" {
                attributes.append("color=\"#777777\"")
            }
            if edge.direction == "reverse" { attributes += ["style=dashed", "constraint=false"] }
            lines.append(
                "  \"\(escape(edge.from))\" -> \"\(escape(edge.to))\"" + (attributes.isEmpty ? "" : " [\(attributes.joined(separator: ", "))]")
                    + ";")
        }
        if !descriptor.paths.isEmpty {
            lines.append("  subgraph cluster_legend {")
            lines.append("    label=\"service paths\"; fontsize=10; style=dashed;")
            for path in descriptor.paths {
                let text =
                    "\(path.name): \(path.from) -> \(path.to), \(path.match ?? "everything"), priority \(path.priority)"
                    + (path.symmetric ? ", replies back (dashed)" : "")
                lines.append(
                    "    \"legend:\(escape(path.name))\" [shape=plaintext, fontcolor=\"\(colours[path.name] ?? "#000000")\", "
                        + "label=\"\(escape(text))\"];")
            }
            lines.append("  }")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The same as JSON: nodes (ports and stages), edges (with their direction and service
    /// path), and the paths themselves.
    public static func json(_ chain: LoadedChain) throws -> String {
        struct Node: Encodable {
            var id: String
            var kind: String
            var label: String
        }
        struct Path: Encodable {
            var name: String
            var from: String
            var to: String
            var match: String?
            var through: [String]
            var priority: Int
            var symmetric: Bool
        }
        struct Graph: Encodable {
            var chain: String
            var nodes: [Node]
            var edges: [Edge]
            var paths: [Path]
            var unmatched: String?
        }
        let descriptor = chain.descriptor
        let nodes =
            descriptor.ports.map { Node(id: "port:" + $0.name, kind: "port", label: portLabel($0)) }
            + descriptor.stages.map { Node(id: "stage:" + $0.name, kind: $0.vnf, label: $0.name) }
        let paths = descriptor.paths.map {
            Path(name: $0.name, from: $0.from, to: $0.to, match: $0.match, through: $0.through, priority: $0.priority, symmetric: $0.symmetric)
        }
        let graph = Graph(
            chain: descriptor.name, nodes: nodes, edges: edges(chain), paths: paths,
            unmatched: descriptor.paths.isEmpty ? nil : descriptor.unmatched.rawValue)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(graph), as: UTF8.self) + "\n"
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
