import Foundation
import GRDB
import NFVPipeline

/// The daemon's persistent state in SQLite (GRDB): each deployed chain's desired snapshot and
/// what the daemon last knew of its data plane, and the event log (every deploy, update,
/// undeploy, start, exit, restart and adoption, with the reason). The daemon writes through it
/// before it acts, so a restarted daemon finds every chain it must keep running.
public final class StateStore: Sendable {
    let database: DatabaseQueue

    /// A deployed chain.
    public struct ChainRecord: Codable, Sendable, Equatable {
        public var name: String
        public var snapshot: ChainSnapshot
        /// Bumped by every deploy that changed something; names the frozen files' folder.
        public var generation: Int
        /// running, starting, restarting, crash-loop, failed.
        public var phase: String
        /// The data plane's process id, while one runs.
        public var pid: Int32?
        public var restarts: Int
        public var lastError: String?
        public var updatedAt: Double
    }

    /// One entry of the event log.
    public struct Event: Codable, Sendable, Equatable {
        public var id: Int64
        public var at: Double
        public var chain: String
        public var kind: String
        public var message: String
    }

    /// Why the state file cannot be opened: it names the file and what to do.
    public struct UnusableState: Error, CustomStringConvertible {
        public var description: String

        static func unreadable(_ path: String, _ error: any Error) -> UnusableState {
            UnusableState(
                description: "\(path) cannot be read as the orchestrator's state (\(error)); "
                    + "restore it from a backup, or move it aside to start with no chains")
        }
    }

    /// Opens (or creates) the store at `path`. A file that exists but is empty (a disk that
    /// filled, a copy cut short) or is not a readable SQLite database is an error naming it,
    /// never taken for an empty state: the chains it recorded, and their data planes, would be
    /// forgotten.
    public init(path: String) throws {
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == 0 {
            throw UnusableState(
                description: "\(path) is empty (0 bytes), so the chains it recorded are unknown; "
                    + "restore it from a backup, or move it aside to start with no chains (their data planes, "
                    + "if any still run, must then be stopped by hand)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A state directory an older version left 0755, with 0644 files, is made private too.
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
        do {
            database = try DatabaseQueue(path: path)
        } catch {
            throw UnusableState.unreadable(path, error)
        }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE chain (
                        name TEXT PRIMARY KEY NOT NULL,
                        snapshot TEXT NOT NULL,
                        generation INTEGER NOT NULL,
                        phase TEXT NOT NULL,
                        pid INTEGER,
                        restarts INTEGER NOT NULL DEFAULT 0,
                        lastError TEXT,
                        updatedAt REAL NOT NULL);
                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at REAL NOT NULL,
                        chain TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        message TEXT NOT NULL);
                    """)
        }
        // Containers attached to chains' container ports (nfv-cni), kept so that every new
        // data plane of the chain attaches them again.
        migrator.registerMigration("v2-attachments") { db in
            try db.execute(
                sql: """
                    CREATE TABLE attachment (
                        chain TEXT NOT NULL,
                        containerID TEXT NOT NULL,
                        interface TEXT NOT NULL,
                        port TEXT NOT NULL,
                        namespacePath TEXT NOT NULL,
                        macAddress TEXT NOT NULL,
                        mtu INTEGER NOT NULL,
                        PRIMARY KEY (chain, containerID, interface));
                    """)
        }
        do {
            try migrator.migrate(database)
        } catch {
            throw UnusableState.unreadable(path, error)
        }
    }

    public func chains() throws -> [ChainRecord] {
        try database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM chain ORDER BY name").map(Self.record) }
    }

    public func chain(_ name: String) throws -> ChainRecord? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM chain WHERE name = ?", arguments: [name]).map(Self.record) }
    }

    /// Inserts or replaces `record`.
    public func save(_ record: ChainRecord) throws {
        try database.write { db in try Self.save(record, in: db) }
    }

    static func save(_ record: ChainRecord, in db: Database) throws {
        let snapshot = String(decoding: try JSONEncoder().encode(record.snapshot), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO chain (name, snapshot, generation, phase, pid, restarts, lastError, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.name, snapshot, record.generation, record.phase, record.pid.map { Int($0) },
                record.restarts, record.lastError, record.updatedAt,
            ])
    }

    /// Changes the runtime fields of chain `name` (no-op when it is gone).
    /// Changes chain `name`'s record in one transaction: read, changed and written back with no
    /// other write between (two threads updating one record, such as a data plane's watcher
    /// marking it running while a migration records the new pid, each keep their change).
    public func update(_ name: String, _ change: (inout ChainRecord) -> Void) throws {
        try database.write { db in
            guard var record = try Row.fetchOne(db, sql: "SELECT * FROM chain WHERE name = ?", arguments: [name]).map(Self.record) else {
                return
            }
            change(&record)
            record.updatedAt = Date().timeIntervalSince1970
            try Self.save(record, in: db)
        }
    }

    public func delete(_ name: String) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM chain WHERE name = ?", arguments: [name]) }
    }

    /// The containers attached to chain `name`, in port order.
    public func attachments(of chain: String) throws -> [ContainerAttachmentView] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM attachment WHERE chain = ? ORDER BY port", arguments: [chain]).map { row in
                ContainerAttachmentView(
                    port: row["port"], containerID: row["containerID"], namespacePath: row["namespacePath"], interface: row["interface"],
                    macAddress: row["macAddress"], mtu: row["mtu"])
            }
        }
    }

    /// Records (or replaces) an attachment of chain `chain`.
    public func saveAttachment(_ view: ContainerAttachmentView, chain: String) throws {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO attachment (chain, containerID, interface, port, namespacePath, macAddress, mtu)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [chain, view.containerID, view.interface, view.port, view.namespacePath, view.macAddress, view.mtu])
        }
    }

    /// Forgets an attachment (all of chain `chain`'s when `containerID` is nil).
    public func deleteAttachment(chain: String, containerID: String? = nil, interface: String? = nil) throws {
        try database.write { db in
            if let containerID, let interface {
                try db.execute(
                    sql: "DELETE FROM attachment WHERE chain = ? AND containerID = ? AND interface = ?",
                    arguments: [chain, containerID, interface])
            } else {
                try db.execute(sql: "DELETE FROM attachment WHERE chain = ?", arguments: [chain])
            }
        }
    }

    /// Appends an event; returns it.
    @discardableResult
    public func log(_ chain: String, _ kind: String, _ message: String) throws -> Event {
        let at = Date().timeIntervalSince1970
        let id = try database.write { db -> Int64 in
            try db.execute(
                sql: "INSERT INTO event (at, chain, kind, message) VALUES (?, ?, ?, ?)",
                arguments: [at, chain, kind, message])
            return db.lastInsertedRowID
        }
        return Event(id: id, at: at, chain: chain, kind: kind, message: message)
    }

    /// Events after `id`, oldest first (at most `limit`).
    public func events(after id: Int64 = 0, limit: Int = 1000) throws -> [Event] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, limit]).map { row in
                Event(id: row["id"], at: row["at"], chain: row["chain"], kind: row["kind"], message: row["message"])
            }
        }
    }

    static func record(_ row: Row) throws -> ChainRecord {
        let text: String = row["snapshot"]
        let pid: Int? = row["pid"]
        return ChainRecord(
            name: row["name"], snapshot: try JSONDecoder().decode(ChainSnapshot.self, from: Data(text.utf8)),
            generation: row["generation"], phase: row["phase"], pid: pid.map { Int32($0) },
            restarts: row["restarts"], lastError: row["lastError"], updatedAt: row["updatedAt"])
    }
}
