import Foundation
import NFVCatalog
import NFVDescriptors

/// A chain as a user deployed it: the chain file's text and the text of every stage's
/// configuration, read at deploy time. The daemon keeps snapshots (not paths), so a restart
/// after a crash runs exactly what was deployed, whatever happened to the files since.
public struct ChainSnapshot: Codable, Sendable, Equatable {
    /// One file of the chain.
    public struct File: Codable, Sendable, Equatable {
        /// The stage it configures; nil for the chain file itself.
        public var stage: String?
        /// Where it was read from (absolute).
        public var sourcePath: String
        public var text: String
    }

    /// The chain's `metadata.name`: its identity.
    public var name: String
    /// The chain file first, then one file per configured stage.
    public var files: [File]

    /// Reads and validates the chain in `path` and its configurations (every error at once).
    /// A chain across hosts (`spec.hosts`) is read as host `host`'s half (`ChainPlacement`):
    /// the chain file's text is then the half's, made from the file, and only the half's
    /// stages' configurations come along.
    public static func read(path: String, host: String? = nil) throws(DescriptorErrorList) -> ChainSnapshot {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var loaded = try LoadedChain.load(path: absolute)
        var chainText: String?
        if let placement = loaded.descriptor.placement {
            guard let host else {
                throw DescriptorErrorList([
                    DescriptorError(
                        location: SourceLocation(file: absolute, line: 1, column: 1), field: "spec.hosts",
                        message: "chain \(loaded.descriptor.name) runs on hosts " + placement.hosts.map(\.name).joined(separator: ", "),
                        fix: "deploy each host's half on that host: nfv-orch deploy \(path) --host NAME")
                ])
            }
            let source = (try? String(contentsOfFile: absolute, encoding: .utf8)) ?? ""
            let half = try placement.half(of: loaded.descriptor, source: source, host: host)
            // The half is checked as the data plane will load it.
            let directory = NSTemporaryDirectory() + "nfv-half-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                try writePrivately(half, to: directory + "/chain.yaml")
            } catch {
                throw DescriptorErrorList([
                    DescriptorError(
                        location: SourceLocation(file: absolute, line: 1, column: 1), field: "", message: "the half could not be written: \(error)")
                ])
            }
            loaded = try LoadedChain.load(path: directory + "/chain.yaml")
            chainText = half
        } else if let host {
            throw DescriptorErrorList([
                DescriptorError(
                    location: SourceLocation(file: absolute, line: 1, column: 1), field: "spec.hosts",
                    message: "chain \(loaded.descriptor.name) has no spec.hosts, so --host \(host) does not apply",
                    fix: "deploy it without --host")
            ])
        }
        var files: [File] = []
        func add(_ stage: String?, _ file: String) throws(DescriptorErrorList) {
            do {
                files.append(File(stage: stage, sourcePath: file, text: try String(contentsOfFile: file, encoding: .utf8)))
            } catch {
                throw DescriptorErrorList([
                    DescriptorError(
                        location: SourceLocation(file: file, line: 1, column: 1), field: "",
                        message: "the file cannot be read: \(error.localizedDescription)")
                ])
            }
        }
        if let chainText {
            files.append(File(stage: nil, sourcePath: absolute, text: chainText))
        } else {
            try add(nil, absolute)
        }
        for stage in loaded.descriptor.stages {
            if let config = stage.config { try add(stage.name, config) }
        }
        return ChainSnapshot(name: loaded.descriptor.name, files: files)
    }

    /// The chain file.
    public var chainFile: File { files[0] }

    /// Writes `text` to `path`, readable by its owner alone.
    static func writePrivately(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// Writes the files into `directory` (created) as chain.yaml and stage-NAME.yaml; returns
    /// the chain file's path and the `--stage-config` overrides that make the chain use them.
    /// The folder and every file are private (0700, 0600): they hold the chain's rules. So is a
    /// folder the call creates above it.
    public func freeze(into directory: String) throws -> (chain: String, overrides: [String: String]) {
        let parent = (directory as NSString).deletingLastPathComponent
        if !FileManager.default.fileExists(atPath: parent) {
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let chain = directory + "/chain.yaml"
        try Self.writePrivately(chainFile.text, to: chain)
        var overrides: [String: String] = [:]
        for file in files.dropFirst() {
            guard let stage = file.stage else { continue }
            let path = "\(directory)/stage-\(stage).yaml"
            try Self.writePrivately(file.text, to: path)
            overrides[stage] = path
        }
        return (chain, overrides)
    }

    /// Loads the snapshot (frozen into `directory`) as a chain, validating it again.
    public func load(frozenIn directory: String) throws -> LoadedChain {
        let frozen = try freeze(into: directory)
        return try LoadedChain.load(path: frozen.chain, configOverrides: frozen.overrides)
    }
}
