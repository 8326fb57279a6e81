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
    public static func read(path: String) throws(DescriptorErrorList) -> ChainSnapshot {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let loaded = try LoadedChain.load(path: absolute)
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
        try add(nil, absolute)
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
