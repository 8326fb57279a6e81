import Foundation
import NFVOrchestrator
import NFVTestSupport
import Testing

/// The daemon's state file after a fault: empty or corrupt is an error that names the file and
/// what to do, never an empty state (the chains would be forgotten and their data planes
/// orphaned).
@Suite struct StateStoreTests {
    @Test func anEmptyOrCorruptStateFileIsAnErrorNamingIt() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.sqlite").path
        FileManager.default.createFile(atPath: path, contents: Data())
        #expect {
            _ = try StateStore(path: path)
        } throws: { error in
            "\(error)".contains("\(path) is empty (0 bytes)") && "\(error)".contains("restore it from a backup")
        }
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try StateStore(path: path)
        } throws: { error in
            "\(error)".contains("\(path) cannot be read as the orchestrator's state")
        }
        try FileManager.default.removeItem(atPath: path)
        let fresh = try StateStore(path: path)
        #expect(try fresh.chains().isEmpty, "no file at all is a fresh start")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0, "state.sqlite is \(String(mode, radix: 8))")
    }

    /// The client that starts a daemon which exits at once says why, at once.
    @Test func aDaemonThatCannotStartSaysWhyAtOnce() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = directory.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: state.appendingPathComponent("state.sqlite").path, contents: Data())
        let environment = [
            "NFV_ORCH_STATE_DIR": state.path, "NFV_ORCH_SOCKET": directory.appendingPathComponent("run/orch.sock").path,
            "NFV_ORCH_RUN_DIR": directory.appendingPathComponent("run").path,
        ]
        let started = Date()
        let deploy = try CommandRunner.run("nfv-orch", ["deploy", "chains/live-firewall.yaml"], environment: environment)
        #expect(deploy.status == 1, "\(deploy)")
        #expect(deploy.standardError.contains("the daemon exited at start"), "\(deploy.standardError)")
        #expect(deploy.standardError.contains("state.sqlite is empty (0 bytes)"), "\(deploy.standardError)")
        #expect(Date().timeIntervalSince(started) < 5, "not after a 10 s wait")
    }
}
