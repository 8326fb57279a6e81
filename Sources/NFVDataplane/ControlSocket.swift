import NFVPipeline
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The data plane's control socket: a unix stream socket, mode 0600 (root only), that takes one
/// command line per connection (words separated by spaces) and answers it.
///
/// - `stop`: asks the data plane to stop (as SIGTERM does);
/// - every command in `commands`, by its first word, with the remaining words as arguments
///   (nfv-dataplane adds `counters`, `counters json` and `reload`);
/// - every command in `sessions`: its handler takes the connection over and talks on it for as
///   long as it needs (a migration's hand-over), and other commands wait meanwhile.
///
/// The accept loop runs on its own thread; `close()` ends it and removes the socket file, unless
/// another data plane's socket has replaced it there (a successor after a migration).
public final class ControlSocket: @unchecked Sendable {
    public let path: String
    let listener: Int32
    /// Set by `stop` requests.
    public let stopRequested = Atomic<Bool>(false)
    let closing = Atomic<Bool>(false)
    /// A command's handler: the words after the command in, the answer out.
    public typealias Handler = @Sendable (_ arguments: [String]) -> String
    let commands: [String: Handler]
    /// A command that takes the connection over: the connection's fd and the words after it.
    public typealias SessionHandler = @Sendable (_ connection: Int32, _ arguments: [String]) -> Void
    let sessions: [String: SessionHandler]
    /// The socket file's device and inode, to leave a successor's socket at the same path alone.
    var boundFile: (device: UInt64, inode: UInt64) = (0, 0)
    var acceptThread: PlatformThread?

    /// Listens at `path` (an old socket file there is replaced; the folder is created).
    public init(path: String, commands: [String: Handler], sessions: [String: SessionHandler] = [:]) throws(LiveChainError) {
        self.path = path
        self.commands = commands
        self.sessions = sessions
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex { mkdir(String(path[..<slash]), 0o755) }
        unlink(path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw LiveChainError("control socket \(path): \(String(cString: strerror(errno)))") }
        let previous = umask(0o077)  // the file is created 0600: root only
        let bound = UnixSocketAddress.with(path) { bind(descriptor, $0, $1) }
        umask(previous)
        guard let bound else {
            Glibc.close(descriptor)
            throw LiveChainError("control socket \(path): the path is too long")
        }
        guard bound == 0, listen(descriptor, 8) == 0 else {
            let error = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw LiveChainError("control socket \(path): \(error)")
        }
        chmod(path, 0o600)
        var file = stat()
        if stat(path, &file) == 0 { boundFile = (UInt64(file.st_dev), UInt64(file.st_ino)) }
        listener = descriptor
        acceptThread = PlatformThread.start { [unowned(unsafe) self] in acceptLoop() }  // close() joins before self goes
        guard acceptThread != nil else {
            Glibc.close(descriptor)
            unlink(path)
            throw LiveChainError("control socket \(path): no thread for the accept loop")
        }
    }

    deinit { close() }

    /// Stops accepting, waits for the accept thread, removes the socket file.
    public func close() {
        guard !closing.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        acceptThread?.join()
        Glibc.close(listener)
        var file = stat()
        if stat(path, &file) == 0, UInt64(file.st_dev) == boundFile.device, UInt64(file.st_ino) == boundFile.inode { unlink(path) }
    }

    func acceptLoop() {
        while !closing.load(ordering: .acquiring) {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                break
            }
            handle(connection)
            Glibc.close(connection)
        }
    }

    func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var count = 0
        while count < buffer.count {
            let got = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress! + count, $0.count - count) }
            if got <= 0 { break }
            count += got
            if buffer[..<count].contains(UInt8(ascii: "\n")) { break }
        }
        guard count > 0 else { return }
        let words = String(decoding: buffer[..<count], as: UTF8.self).trimmingWhitespace()
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let command = words.first ?? ""
        let reply: String
        if let session = sessions[command] {
            session(connection, Array(words.dropFirst()))
            return
        }
        if command == "stop" {
            stopRequested.store(true, ordering: .releasing)
            reply = "stopping"
        } else if let handler = commands[command] {
            reply = handler(Array(words.dropFirst()))
        } else {
            reply = "error: unknown command \"\(command)\"; commands: " + (commands.keys.sorted() + ["stop"]).joined(separator: ", ")
        }
        var text = reply + "\n"
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = send(connection, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
