import Foundation
import Yams

/// A VNF configuration as loaded: the typed configuration and the chain ports it names (checked
/// against the chain when the chain is loaded).
public struct LoadedConfiguration<Configuration: Sendable>: Sendable {
    /// The typed, validated configuration.
    public var configuration: Configuration
    /// Chain ports the configuration names, with their locations.
    public var portReferences: [PortReference]
}

/// The envelope every VNF configuration shares: `apiVersion`, `kind`, `metadata.name`, `spec`.
enum VNFDocument {
    /// The text of the file at `path`, or an error that names it.
    static func text(at path: String) throws(DescriptorErrorList) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DescriptorErrorList([
                DescriptorError(
                    location: SourceLocation(file: path, line: 1, column: 1), field: "",
                    message: "the file does not exist or is not UTF-8 text")
            ])
        }
        return text
    }

    /// Parses `text` as a `kind` document and checks its envelope and the keys of its spec;
    /// returns the decoder (to keep collecting errors), the name and the spec's fields.
    static func spec(
        _ text: String, file: String, kind: String, allowed: [String],
        required: [String]
    ) throws(DescriptorErrorList) -> (DescriptorDecoder, String, MappingFields) {
        let decoder = DescriptorDecoder(file: file)
        guard let root = decoder.compose(text),
            let (name, specNode) = read(root, kind: kind, decoder: decoder),
            let spec = decoder.mapping(specNode, field: "spec", allowed: allowed, required: required)
        else { throw DescriptorErrorList(decoder.errors) }
        return (decoder, name, spec)
    }

    /// Checks the envelope of a `kind` document and returns its name and spec node.
    static func read(_ root: Node, kind: String, decoder: DescriptorDecoder) -> (String, Node)? {
        guard
            let top = decoder.mapping(
                root, field: "", allowed: ["apiVersion", "kind", "metadata", "spec"],
                required: ["apiVersion", "kind", "metadata", "spec"])
        else { return nil }
        if let node = top["apiVersion"], let version = decoder.string(node, field: "apiVersion"),
            version != ChainDescriptor.apiVersion
        {
            decoder.report(node, field: "apiVersion", "unsupported API version \"\(version)\"", fix: "use \"\(ChainDescriptor.apiVersion)\"")
        }
        if let node = top["kind"], let found = decoder.string(node, field: "kind"), found != kind {
            decoder.report(
                node, field: "kind", "expected kind \"\(kind)\", found \"\(found)\"",
                fix: Suggestion.closest(to: found, in: [kind]) != nil
                    ? "did you mean \"\(kind)\"?"
                    : "this file is referenced as a \(kind)")
        }
        var name: String?
        if let node = top["metadata"],
            let metadata = decoder.mapping(node, field: "metadata", allowed: ["name", "labels"], required: ["name"]),
            let nameNode = metadata["name"]
        {
            name = decoder.string(nameNode, field: "metadata.name")
        }
        guard let name, let spec = top["spec"] else { return nil }
        return (name, spec)
    }
}
