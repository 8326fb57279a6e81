import Foundation
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// One request/response exchange over a unix stream socket: connect, write the request, read
/// until the other side closes. Used for the data planes' control sockets and, with HTTP on
/// top, for the daemon's API.
public enum UnixSocket {
    public struct ExchangeError: Error, CustomStringConvertible {
        /// errno of the failed step (ENOENT/ECONNREFUSED: nobody listens; EACCES: not allowed).
        public var code: Int32
        public var description: String
    }

    public static func exchange(_ path: String, _ request: [UInt8], timeoutSeconds: Int = 30) throws(ExchangeError) -> [UInt8] {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ExchangeError(code: errno, description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let code = UnixSocketAddress.connect(descriptor, to: path)
        guard code != ENAMETOOLONG else {
            throw ExchangeError(code: ENAMETOOLONG, description: "\(path): the path is too long for a unix socket")
        }
        guard code == 0 else { throw ExchangeError(code: code, description: "\(path): \(String(cString: strerror(code)))") }
        var offset = 0
        while offset < request.count {
            let written = request.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw ExchangeError(code: errno, description: "\(path): write: \(String(cString: strerror(errno)))") }
            offset += written
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { throw ExchangeError(code: errno, description: "\(path): read: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            reply += buffer[..<count]
        }
        return reply
    }

    /// Sends one command line to a data plane's control socket; returns its answer.
    public static func command(_ path: String, _ line: String, timeoutSeconds: Int = 10) throws(ExchangeError) -> String {
        String(decoding: try exchange(path, Array((line + "\n").utf8), timeoutSeconds: timeoutSeconds), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
