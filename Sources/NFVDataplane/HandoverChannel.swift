import CLinux
import Foundation
import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// The connection over which one data plane hands its chain to the next (`nfv-orch migrate`):
/// the successor's control-socket connection to the running one, after the line
/// `hand-over PID CHAIN WORKERS`. Messages are JSON, each after its length (4 bytes, big
/// endian); a message may carry file descriptors (SCM_RIGHTS, with its first bytes).
///
/// The exchange, in order:
/// 1. running -> successor: `HandoverOffer` with every TAP queue fd; the running data plane
///    goes on forwarding, and the successor builds its workers on the queues without reading;
/// 2. successor -> running: `HandoverStep.ready`;
/// 3. running -> successor: `HandoverStep.paused` once its workers stopped with nothing in
///    flight (`LiveChain.pauseForHandover`); from here the successor reads the queues and holds
///    what it reads; then the chain's `ChainState`;
/// 4. successor -> running: `HandoverOutcome`: taken (the successor forwards; the running one
///    ends, leaving the TAPs, namespaces and cgroup to it) or refused (the running one resumes
///    forwarding; the frames the successor held are lost, the state is not). A connection that
///    ends before the outcome counts as refused, at any step.
public final class HandoverChannel {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// Connects to the data plane's control socket at `path`.
    public static func connect(to path: String) throws(LiveChainError) -> HandoverChannel {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw LiveChainError("socket: \(String(cString: strerror(errno)))") }
        let connected = UnixSocketAddress.connect(descriptor, to: path)
        guard connected == 0 else {
            let error = String(cString: strerror(connected))
            Glibc.close(descriptor)
            throw LiveChainError("the running data plane's control socket \(path): \(error)")
        }
        return HandoverChannel(descriptor: descriptor)
    }

    /// Closes the connection.
    public func close() { Glibc.close(descriptor) }

    /// Sends raw bytes (the request line).
    public func sendLine(_ line: String) throws(LiveChainError) {
        try sendAll(Array((line + "\n").utf8), fds: [])
    }

    /// Sends `message` as JSON with `fds` attached.
    public func send<Message: Encodable>(_ message: Message, fds: [Int32] = []) throws(LiveChainError) {
        let body: Data
        do { body = try JSONEncoder().encode(message) } catch { throw LiveChainError("hand-over: cannot encode \(Message.self): \(error)") }
        let length = UInt32(body.count)
        let bytes = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + Array(body)
        try sendAll(bytes, fds: fds)
    }

    func sendAll(_ bytes: [UInt8], fds: [Int32]) throws(LiveChainError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { buffer in
                fds.withUnsafeBufferPointer { passed in
                    nfv_send_with_fds(
                        descriptor, buffer.baseAddress! + offset, UInt(buffer.count - offset), passed.baseAddress,
                        offset == 0 ? Int32(passed.count) : 0)
                }
            }
            guard sent > 0 else { throw LiveChainError("hand-over: send: \(String(cString: strerror(Int32(-sent))))") }
            offset += sent
        }
    }

    /// The length of the last message received, in bytes.
    public private(set) var lastMessageByteCount = 0

    /// Receives the next message as `Message` and the fds that came with it. `timeout` in
    /// seconds (0: wait as long as it takes).
    public func receive<Message: Decodable>(_: Message.Type, timeout: Int = 0) throws(LiveChainError) -> (Message, [Int32]) {
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var fds: [Int32] = []
        let header = try receiveExactly(4, fds: &fds)
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length <= 1 << 30 else { throw LiveChainError("hand-over: a message of \(length) bytes") }
        let body = try receiveExactly(length, fds: &fds)
        lastMessageByteCount = length
        do { return (try JSONDecoder().decode(Message.self, from: Data(body)), fds) } catch {
            for fd in fds { Glibc.close(fd) }
            throw LiveChainError("hand-over: cannot decode \(Message.self): \(error)")
        }
    }

    func receiveExactly(_ count: Int, fds: inout [Int32]) throws(LiveChainError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        var passed = [Int32](repeating: -1, count: 253)
        while offset < count {
            var passedCount: Int32 = 0
            let got = bytes.withUnsafeMutableBytes { buffer in
                passed.withUnsafeMutableBufferPointer { slots in
                    nfv_receive_with_fds(descriptor, buffer.baseAddress! + offset, UInt(count - offset), slots.baseAddress, 253, &passedCount)
                }
            }
            fds += passed.prefix(Int(passedCount))
            if got == 0 { throw LiveChainError("hand-over: the other data plane closed the connection") }
            guard got > 0 else { throw LiveChainError("hand-over: receive: \(String(cString: strerror(Int32(-got))))") }
            offset += got
        }
        return bytes
    }

    /// Waits until the other side closes the connection (it ended), at most `seconds`; true
    /// when it did.
    public func waitForClose(seconds: Int) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let deadline = HeldFrames.monotonicNow() + UInt64(seconds) * 1_000_000_000
        while HeldFrames.monotonicNow() < deadline {
            guard poll(&poller, 1, 100) >= 0 || errno == EINTR else { return false }
            guard poller.revents != 0 else { continue }
            var byte: UInt8 = 0
            if recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT)) <= 0 { return true }
        }
        return false
    }
}

/// What the running data plane offers its successor, with the queue fds (port-major: every
/// queue of port 0, then port 1...).
public struct HandoverOffer: Codable, Sendable {
    public struct Port: Codable, Sendable, Equatable {
        public var name: String
        public var interfaceName: String
        public var queues: Int
        public var offloads: Bool

        /// The ports of `chain` as an offer names them, each with `queues` queues.
        static func ports(of chain: LoadedChain, queues: Int) -> [Port] {
            chain.descriptor.ports.map { port in
                Port(name: port.name, interfaceName: port.tap?.interfaceName ?? "", queues: queues, offloads: port.tap?.offloads ?? false)
            }
        }
    }
    public var chain: String
    public var pid: Int32
    public var ports: [Port]
    /// The running data plane's hash seed (hexadecimal): the successor adopts it before it makes
    /// its tables, so flows keep their workers and their entries (`TableHash.adopt`).
    public var hashSeed: String
    /// Why the running data plane does not hand over (then nothing else is set, and it goes on).
    public var refusal: String?

    public static func refused(_ reason: String, chain: String) -> HandoverOffer {
        HandoverOffer(chain: chain, pid: getpid(), ports: [], hashSeed: "", refusal: reason)
    }
}

/// The middle of the exchange: the successor is ready (its workers built on the queues), the
/// running data plane has paused (at `pausedAt`, CLOCK_MONOTONIC ns).
public struct HandoverStep: Codable, Sendable {
    public var ready: Bool
    public var pausedAt: UInt64
    public static let ready = HandoverStep(ready: true, pausedAt: 0)
    public static func paused(at time: UInt64) -> HandoverStep { HandoverStep(ready: false, pausedAt: time) }
}

/// The successor's answer: it forwards now (`taken`), or why not.
public struct HandoverOutcome: Codable, Sendable {
    public var taken: Bool
    public var reason: String?
    public init(taken: Bool, reason: String? = nil) {
        self.taken = taken
        self.reason = reason
    }
}
