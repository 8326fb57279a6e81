import Foundation
import NFVIsolation
import NFVOrchestrator
import NFVTestSupport

/// A standalone nfv-dataplane run of a chain file (with `arguments` added), up when `init`
/// returns; its output goes to CHAIN.log in `directory`, its control socket is CHAIN.sock there.
final class StandaloneDataplane {
    let process = Process()
    let control: String
    let chain: String

    init(file: URL, chain: String, directory: URL, arguments: [String] = []) throws {
        self.chain = chain
        control = directory.appendingPathComponent("\(chain).sock").path
        let ready = directory.appendingPathComponent("\(chain).ready").path
        unlink(ready)
        process.executableURL = Fixtures.executablesDirectory.appendingPathComponent("nfv-dataplane")
        process.arguments = [file.path, "--ready-file", ready, "--control", control] + arguments
        let log = directory.appendingPathComponent("\(chain).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        for _ in 0..<150 where access(ready, F_OK) != 0 && process.isRunning { usleep(100_000) }
        guard access(ready, F_OK) == 0 else {
            HostCommand.kill(process)
            throw HostCommandError(arguments: process.arguments ?? [], output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        }
    }

    var pid: pid_t { process.processIdentifier }

    /// One command on the control socket, and its answer.
    func command(_ line: String) throws -> String { try UnixSocket.command(control, line, timeoutSeconds: 5) }

    /// Stops it as an operator would (its control socket); what it made goes with it.
    func stop() {
        _ = try? command("stop")
        for _ in 0..<100 where process.isRunning { usleep(50_000) }
        HostCommand.kill(process)
        ChainCgroup.remove(chain: chain)
    }
}
