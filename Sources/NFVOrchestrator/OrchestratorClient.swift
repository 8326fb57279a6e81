import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The CLI's side of the daemon API: HTTP/1.1 requests with JSON bodies over the daemon's
/// unix socket, one connection per request.
public struct OrchestratorClient: Sendable {
    public let paths: OrchestratorPaths

    public init(paths: OrchestratorPaths) { self.paths = paths }

    public enum ClientError: Error, CustomStringConvertible {
        /// Nobody listens on the socket.
        case notRunning(String)
        /// The socket refuses this user (it is root's).
        case notAllowed(String)
        /// The daemon answered with an error.
        case refused(status: Int, message: String)
        case broken(String)

        public var description: String {
            switch self {
            case .notRunning(let path): "no nfv-orch daemon answers on \(path) (nfv-orch deploy starts one; or run nfv-orch serve)"
            case .notAllowed(let path): "\(path): permission denied: the orchestrator's socket is root's (run as root)"
            case .refused(let status, let message):
                message.isEmpty ? "the daemon refused the request (HTTP \(status)) without saying why" : message
            case .broken(let message): message
            }
        }
    }

    /// Sends a request; returns the body of a 2xx answer, or throws the daemon's error.
    public func request(_ method: String, _ path: String, body: Data? = nil, timeoutSeconds: Int = 60) throws(ClientError) -> Data {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: nfv-orch\r\nConnection: close\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + Array(body ?? Data())
        let reply: [UInt8]
        do { reply = try UnixSocket.exchange(paths.socketPath, bytes, timeoutSeconds: timeoutSeconds) } catch {
            if error.code == EACCES || error.code == EPERM { throw .notAllowed(paths.socketPath) }
            if error.code == ENOENT || error.code == ECONNREFUSED { throw .notRunning(paths.socketPath) }
            throw .broken(error.description)
        }
        guard let split = Self.headerEnd(reply) else { throw .broken("the daemon's answer has no HTTP header") }
        let header = String(decoding: reply[..<split], as: UTF8.self)
        var content = Array(reply[(split + 4)...])
        let lines = header.split(separator: "\r\n")
        let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        if lines.contains(where: { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }) {
            content = Self.dechunk(content)
        }
        let data = Data(content)
        guard (200..<300).contains(status) else {
            struct ErrorBody: Decodable { var error: String }
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error ?? String(decoding: data, as: UTF8.self)
            throw .refused(status: status, message: message)
        }
        return data
    }

    /// Decodes a JSON answer.
    public func get<T: Decodable>(_ type: T.Type, _ path: String) throws(ClientError) -> T {
        let data = try request("GET", path)
        do { return try JSONDecoder().decode(type, from: data) } catch { throw .broken("unexpected answer from the daemon: \(error)") }
    }

    public func post<Body: Encodable, T: Decodable>(_ type: T.Type, _ path: String, _ body: Body, timeoutSeconds: Int = 60) throws(ClientError) -> T {
        let encoded: Data
        do { encoded = try JSONEncoder().encode(body) } catch { throw .broken("\(error)") }
        let data = try request("POST", path, body: encoded, timeoutSeconds: timeoutSeconds)
        do { return try JSONDecoder().decode(type, from: data) } catch { throw .broken("unexpected answer from the daemon: \(error)") }
    }

    /// True when a daemon answers.
    public var isDaemonRunning: Bool {
        do {
            _ = try request("GET", "/v1/chains", timeoutSeconds: 5)
            return true
        } catch { return false }
    }

    /// Starts `nfv-orch serve` in the background when no daemon answers (deploy needs no
    /// manual start), and waits until it does (at most 10 s).
    public func ensureDaemon(executable: String) throws(ClientError) {
        do {
            _ = try request("GET", "/v1/chains", timeoutSeconds: 5)
            return
        } catch .notRunning {
            // start one below
        }
        do {
            try FileManager.default.createDirectory(
                atPath: paths.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            let reason = getuid() == 0 ? (error as NSError).localizedDescription : "permission denied: the daemon runs as root"
            throw .broken("cannot start the daemon: cannot create its state directory \(paths.stateDirectory) (\(reason))")
        }
        let log = paths.stateDirectory + "/daemon.log"
        let logStart = (try? FileManager.default.attributesOfItem(atPath: log))?[.size] as? Int ?? 0
        guard access(executable, X_OK) == 0 else { throw .broken("cannot start the daemon: \(executable) is not executable") }
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(executable, ["serve"], logPath: log)
        } catch {
            throw .broken("cannot start the daemon (\(executable) serve, logging to \(log)): \(error)")
        }
        for _ in 0..<100 {
            if isDaemonRunning { return }
            // A daemon that exited at once (a state file it cannot use) says why in its log.
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw .broken("the daemon exited at start: \(Self.tail(of: log, from: logStart))")
            }
            usleep(100_000)
        }
        throw .broken("the daemon did not come up within 10 s; see \(log)")
    }

    /// What `path` gained after byte `start`, trimmed (what a daemon just wrote to its log).
    static func tail(of path: String, from start: Int) -> String {
        guard let data = FileManager.default.contents(atPath: path), data.count > start else { return "see \(path)" }
        let text = String(decoding: data[start...], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "see \(path)" : text
    }

    static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            guard start + size <= bytes.count else { break }
            output += bytes[start..<(start + size)]
            index = start + size + 2
        }
        return output
    }
}

extension OrchestratorPaths {
    /// The paths, overridden by NFV_ORCH_STATE_DIR, NFV_ORCH_SOCKET and NFV_ORCH_RUN_DIR (tests
    /// run a private daemon that way); the daemon started by `deploy` inherits them.
    public static func fromEnvironment() -> OrchestratorPaths {
        let environment = ProcessInfo.processInfo.environment
        var paths = OrchestratorPaths()
        if let value = environment["NFV_ORCH_STATE_DIR"], !value.isEmpty { paths.stateDirectory = value }
        if let value = environment["NFV_ORCH_SOCKET"], !value.isEmpty { paths.socketPath = value }
        if let value = environment["NFV_ORCH_RUN_DIR"], !value.isEmpty { paths.runDirectory = value }
        return paths
    }
}
