import Foundation
import NFVPipeline

/// What `nfv-orch snapshot` writes and `nfv-orch restore` reads (`nfv-snapshot`, version 1,
/// JSON; docs/snapshot.md): the chain's files as deployed and its data plane's runtime state.
public struct SnapshotDocument: Codable, Sendable {
    public static let formatName = "nfv-snapshot"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// When it was taken (ISO 8601, UTC).
    public var takenAt: String
    /// The chain file first, then each configured stage's file, as they were deployed.
    public var snapshot: ChainSnapshot
    /// The runtime state (`nfv-state`).
    public var state: ChainState

    public init(snapshot: ChainSnapshot, state: ChainState, takenAt: Date = Date()) {
        format = Self.formatName
        version = Self.currentVersion
        self.takenAt = ISO8601DateFormatter().string(from: takenAt)
        self.snapshot = snapshot
        self.state = state
    }

    /// Reads `data`, refusing another format or a newer version.
    public static func read(_ data: Data, file: String) throws -> SnapshotDocument {
        struct Header: Decodable {
            var format: String?
            var version: Int?
        }
        let header = try? JSONDecoder().decode(Header.self, from: data)
        guard header?.format == formatName else {
            throw Supervisor.OperationError("\(file): not an \(formatName) file (nfv-orch snapshot writes them)")
        }
        guard let version = header?.version, version <= currentVersion else {
            throw Supervisor.OperationError(
                "\(file): \(formatName) version \(header?.version ?? 0); this build reads 1 to \(currentVersion)")
        }
        do { return try JSONDecoder().decode(SnapshotDocument.self, from: data) } catch {
            throw Supervisor.OperationError("\(file): \(error)")
        }
    }
}
