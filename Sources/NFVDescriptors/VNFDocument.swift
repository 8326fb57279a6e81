import Yams

/// The envelope every VNF configuration shares: `apiVersion`, `kind`, `metadata.name`, `spec`.
enum VNFDocument {
    /// Checks the envelope of a `kind` document and returns its name and spec node.
    static func read(_ root: Node, kind: String, decoder: DescriptorDecoder) -> (String, Node)? {
        guard let top = decoder.mapping(root, field: "", allowed: ["apiVersion", "kind", "metadata", "spec"],
                                        required: ["apiVersion", "kind", "metadata", "spec"]) else { return nil }
        if let node = top["apiVersion"], let version = decoder.string(node, field: "apiVersion"),
           version != ChainDescriptor.apiVersion {
            decoder.report(node, field: "apiVersion", "unsupported API version \"\(version)\"", fix: "use \"\(ChainDescriptor.apiVersion)\"")
        }
        if let node = top["kind"], let found = decoder.string(node, field: "kind"), found != kind {
            decoder.report(node, field: "kind", "expected kind \"\(kind)\", found \"\(found)\"",
                           fix: Suggestion.closest(to: found, in: [kind]) != nil ? "did you mean \"\(kind)\"?"
                               : "this file is referenced as a \(kind)")
        }
        var name: String?
        if let node = top["metadata"],
           let metadata = decoder.mapping(node, field: "metadata", allowed: ["name", "labels"], required: ["name"]),
           let nameNode = metadata["name"] {
            name = decoder.string(nameNode, field: "metadata.name")
        }
        guard let name, let spec = top["spec"] else { return nil }
        return (name, spec)
    }
}
