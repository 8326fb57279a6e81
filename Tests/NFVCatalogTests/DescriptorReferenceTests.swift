import Foundation
import NFVCatalog
import NFVDescriptors
import NFVTestSupport
import Testing
import Yams

/// docs/descriptors.md against the loaders: every field a loader accepts at every object the
/// example files (chains/, vnf-configs/) contain is documented, and every documented field is
/// one a loader accepts. What a loader accepts is asked of the loader itself: a key it cannot
/// know ("zzzzzzzzzz") is put into each object, and its "unknown field" error lists the known
/// fields there.
@Suite struct DescriptorReferenceTests {
    static let bogus = "zzzzzzzzzz"
    static let stageKinds = [
        "FirewallConfig": "firewall", "RouterConfig": "router", "NatConfig": "nat", "LoadBalancerConfig": "load-balancer",
        "SwitchConfig": "switch", "PolicerConfig": "policer",
    ]

    /// Every (kind, object path) of the example files, paths as `spec.ports[]`.
    static func objects() throws -> [(kind: String, file: String, path: [PathStep], key: String)] {
        var found: [(String, String, [PathStep], String)] = []
        for folder in ["chains", "vnf-configs"] {
            let directory = Fixtures.root.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() where file.hasSuffix(".yaml") {
                let path = directory.appendingPathComponent(file).path
                guard let document = try Yams.load(yaml: String(contentsOfFile: path, encoding: .utf8)) as? [String: Any],
                    let kind = document["kind"] as? String
                else { continue }
                func walk(_ value: Any, _ steps: [PathStep]) {
                    if let mapping = value as? [String: Any] {
                        found.append((kind, path, steps, Self.text(steps)))
                        for (key, child) in mapping { walk(child, steps + [.key(key)]) }
                    } else if let list = value as? [Any] {
                        for (index, child) in list.enumerated() { walk(child, steps + [.index(index)]) }
                    }
                }
                walk(document, [])
            }
        }
        return found
    }

    enum PathStep {
        case key(String)
        case index(Int)
    }

    static func text(_ steps: [PathStep]) -> String {
        steps.reduce("") { text, step in
            switch step {
            case .key(let key): text.isEmpty ? key : text + "." + key
            case .index: text + "[]"
            }
        }
    }

    /// `document` with the bogus key put into the object at `steps`.
    static func inserting(into document: Any, at steps: ArraySlice<PathStep>) -> Any {
        guard let step = steps.first else {
            var mapping = document as? [String: Any] ?? [:]
            mapping[bogus] = 1
            return mapping
        }
        switch step {
        case .key(let key):
            var mapping = document as? [String: Any] ?? [:]
            mapping[key] = inserting(into: mapping[key] as Any, at: steps.dropFirst())
            return mapping
        case .index(let index):
            var list = document as? [Any] ?? []
            list[index] = inserting(into: list[index], at: steps.dropFirst())
            return list
        }
    }

    /// The fields the loader knows in the object at `steps` of `file` (of `kind`).
    static func knownFields(kind: String, file: String, steps: [PathStep], scratch: URL) throws -> [String]? {
        var document = try Yams.load(yaml: String(contentsOfFile: file, encoding: .utf8)) as Any
        let directory = (file as NSString).deletingLastPathComponent
        if kind == "Chain", var chain = document as? [String: Any], var spec = chain["spec"] as? [String: Any],
            var stages = spec["stages"] as? [[String: Any]]
        {
            // The copy lives elsewhere: configurations by absolute path.
            for index in stages.indices {
                if let config = stages[index]["config"] as? String, !config.hasPrefix("/") {
                    stages[index]["config"] = URL(fileURLWithPath: directory).appendingPathComponent(config).standardizedFileURL.path
                }
            }
            spec["stages"] = stages
            chain["spec"] = spec
            document = chain
        }
        let mutated = scratch.appendingPathComponent("mutated.yaml")
        try Yams.dump(object: inserting(into: document, at: steps[...])).write(to: mutated, atomically: true, encoding: .utf8)
        var chainPath = mutated.path
        if let vnf = stageKinds[kind] {
            chainPath = scratch.appendingPathComponent("chain.yaml").path
            try """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: reference }
            spec:
              ports:
                - { name: a, type: pcap-in, path: a.pcap }
                - { name: b, type: pcap-out, path: b.pcap }
              stages:
                - { name: s, vnf: \(vnf), config: \(mutated.path) }
            """.write(toFile: chainPath, atomically: true, encoding: .utf8)
        }
        do {
            _ = try LoadedChain.load(path: chainPath)
        } catch {
            for problem in error.errors where problem.message == "unknown field" && problem.field.hasSuffix(bogus) {
                if let fix = problem.fix, let range = fix.range(of: "known fields here: ") {
                    return fix[range.upperBound...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                }
            }
        }
        return nil  // Any key goes here (labels): the object itself is what is documented.
    }

    /// The documented fields: `kind PATH` from the tables of docs/descriptors.md (a table
    /// belongs to the kind of the `## kind: NAME` heading above it; the common table before
    /// the first heading is an overview).
    static func documented() throws -> Set<String> {
        let text = try String(contentsOf: Fixtures.root.appendingPathComponent("docs/descriptors.md"), encoding: .utf8)
        var kind = ""
        var fields: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("## kind: ") { kind = String(line.dropFirst("## kind: ".count)).trimmingCharacters(in: .whitespaces) }
            guard !kind.isEmpty, line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { continue }
            fields.insert("\(kind) " + line[line.index(line.startIndex, offsetBy: 3)..<end])
        }
        return fields
    }

    @Test func everyFieldTheLoadersAcceptIsDocumentedAndNoOther() throws {
        let scratch = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        var accepted: Set<String> = []
        var seenObjects: Set<String> = []
        for object in try Self.objects() {
            guard seenObjects.insert("\(object.kind) \(object.key)").inserted else { continue }
            for field in try Self.knownFields(kind: object.kind, file: object.file, steps: object.path, scratch: scratch) ?? [] {
                accepted.insert("\(object.kind) " + [object.key, field].filter { !$0.isEmpty }.joined(separator: "."))
            }
        }
        let documented = try Self.documented()
        let undocumented = accepted.subtracting(documented).sorted()
        let unknown = documented.subtracting(accepted).sorted()
        #expect(undocumented.isEmpty, "accepted by the loaders, missing from docs/descriptors.md:\n\(undocumented.joined(separator: "\n"))")
        #expect(
            unknown.isEmpty,
            "in docs/descriptors.md, but no loader accepts them (or no example has their object):\n\(unknown.joined(separator: "\n"))")
    }
}
