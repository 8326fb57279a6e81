import NFVOpenFlow
import NFVPipeline
import NFVSwitch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A switch stage's OpenFlow channels on one thread beside the workers: listeners (ovs-ofctl
/// and passive controllers connect there) and connections to controllers (re-tried with
/// exponential backoff, 1 s doubling to 16 s, and kept alive with ECHO: a controller silent for
/// three intervals of 5 s is dropped and reconnected). Each connection has its own
/// `OpenFlowSession`; flow changes reach the workers through the datapath's update path.
///
/// `stop()` (or deinit) closes every socket, joins the thread and removes the unix socket files
/// it made.
public final class OpenFlowAgent: @unchecked Sendable {
    let settings: OpenFlowSettings
    let sessionSettings: OpenFlowSession.Settings
    let datapath: any OpenFlowDatapath
    /// What the channels did (every session counts into it).
    public let statistics = OpenFlowStatistics()
    var listeners: [(fd: Int32, endpoint: OpenFlowSettings.Endpoint)] = []
    var connections: [Connection] = []
    var controllers: [Controller]
    /// The ports as last reported, by number, and when they were last looked at.
    var reportedPorts: [UInt32: OpenFlowPort] = [:]
    var portsCheckedAt: Double = 0
    /// How often port state (the TAPs' link) is looked at for PORT_STATUS.
    static let portCheckInterval: Double = 0.5
    /// Fail mode standalone: how long without a connected controller before the switch fails
    /// open (installs NORMAL under `OpenFlowSettings.failOpenCookie`).
    let failOpenDelay: Double
    /// Since when no controller has been connected (nil while one is).
    var controllerLostAt: Double?
    let wake: (read: Int32, write: Int32)
    let stopping = Atomic<Bool>(false)
    var thread: PlatformThread?
    /// What happened on the channels (connections, errors), for the data plane's log.
    let log: @Sendable (String) -> Void

    /// Keepalive interval and how long a peer may stay silent.
    static let echoInterval: Double = 5
    static let silenceLimit: Double = 15

    final class Connection {
        let fd: Int32
        let peer: String
        let session: OpenFlowSession
        var buffer: [UInt8] = []
        var lastHeard: Double
        var lastEcho: Double
        /// The controller it belongs to (an active connection), or nil for an accepted one.
        let controller: Int?

        init(fd: Int32, peer: String, session: OpenFlowSession, now: Double, controller: Int?) {
            self.fd = fd
            self.peer = peer
            self.session = session
            self.lastHeard = now
            self.lastEcho = now
            self.controller = controller
        }
    }

    struct Controller {
        let endpoint: OpenFlowSettings.Endpoint
        var connected = false
        var nextAttempt: Double = 0
        var backoff: Double = 1
    }

    /// Binds every listener (an error names the endpoint) and starts the channel thread.
    public init(
        settings: OpenFlowSettings, session: OpenFlowSession.Settings, datapath: any OpenFlowDatapath, failOpenDelay: Double = 15,
        log: @escaping @Sendable (String) -> Void
    ) throws(OpenFlowAgentError) {
        self.settings = settings
        self.failOpenDelay = failOpenDelay
        self.controllerLostAt = Self.now()
        self.sessionSettings = session
        self.datapath = datapath
        self.log = log
        self.controllers = settings.controllers.map { Controller(endpoint: $0) }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw OpenFlowAgentError("no pipe: \(Self.lastError())") }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)  // a worker's wake-up never blocks
        }
        wake = (pipeEnds[0], pipeEnds[1])
        do {
            for endpoint in settings.listen { listeners.append((try Self.listen(on: endpoint), endpoint)) }
        } catch {
            closeAll()
            throw error
        }
        let wakeFD = wake.write
        datapath.connectController {
            var byte: UInt8 = 1
            _ = write(wakeFD, &byte, 1)
        }
        thread = PlatformThread.start { [unowned(unsafe) self] in loop() }  // stop() joins before self goes
        guard thread != nil else {
            closeAll()
            throw OpenFlowAgentError("no thread for the OpenFlow channels")
        }
    }

    deinit { stop() }

    /// Ends the channels: closes every connection and listener, removes unix socket files.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        datapath.connectController {}  // before the pipe closes: no worker writes to a stale fd
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        thread?.join()
        closeAll()
    }

    func closeAll() {
        for connection in connections { Glibc.close(connection.fd) }
        connections.removeAll()
        for listener in listeners {
            Glibc.close(listener.fd)
            if case .unix(let path) = listener.endpoint { unlink(path) }
        }
        listeners.removeAll()
        Glibc.close(wake.read)
        Glibc.close(wake.write)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func lastError() -> String { String(cString: strerror(errno)) }

    // MARK: the loop

    func loop() {
        while !stopping.load(ordering: .acquiring) {
            let now = Self.now()
            connectControllers(now: now)
            keepAlive(now: now)
            reportPortChanges(now: now)
            applyFailMode(now: now)
            var descriptors = [pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            descriptors += listeners.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            descriptors += connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(Self.portCheckInterval * 1000))
            guard ready > 0 else { continue }
            if descriptors[0].revents != 0 {
                var drained = [UInt8](repeating: 0, count: 256)
                while drained.withUnsafeMutableBytes({ Glibc.read(wake.read, $0.baseAddress, $0.count) }) > 0 {}
                if stopping.load(ordering: .acquiring) { break }
                deliverPacketIns()
            }
            let polled = connections  // as polled: accepting below adds connections
            for (index, listener) in listeners.enumerated() where descriptors[1 + index].revents != 0 { accept(from: listener) }
            let base = 1 + listeners.count
            var closed: [Int32] = []
            for (index, connection) in polled.enumerated() where descriptors[base + index].revents != 0 {
                if !read(connection) { closed.append(connection.fd) }
            }
            for fd in closed { drop(fd, reason: "closed") }
        }
    }

    /// PORT_STATUS (MODIFY) to every controller for each port whose config or state changed
    /// since the last look (every half second, and at once after a PORT_MOD).
    func reportPortChanges(now: Double) {
        let asked = connections.contains { $0.session.portsChanged }
        guard asked || now - portsCheckedAt >= Self.portCheckInterval else { return }
        portsCheckedAt = now
        for connection in connections { connection.session.portsChanged = false }
        let ports = datapath.portDescriptions()
        let first = reportedPorts.isEmpty
        var changed: [OpenFlowPort] = []
        for port in ports {
            if let before = reportedPorts[port.portNumber], before.config != port.config || before.state != port.state { changed.append(port) }
            reportedPorts[port.portNumber] = port
        }
        guard !first, !changed.isEmpty else { return }
        var closed: [Int32] = []
        for connection in connections {
            for port in changed {
                guard let message = connection.session.portStatus(port, reason: 2) else { continue }
                if !send(message, on: connection.fd) {
                    closed.append(connection.fd)
                    break
                }
            }
        }
        for fd in closed { drop(fd, reason: "cannot send PORT_STATUS") }
    }

    /// Fail mode standalone with controllers to connect to: the fail-open flow goes when a
    /// controller has agreed a version, and comes back once none has been connected for
    /// `failOpenDelay` (secure mode, or no controllers listed: nothing to do).
    func applyFailMode(now: Double) {
        guard settings.failMode == .standalone, !settings.controllers.isEmpty else { return }
        let cookie = OpenFlowSettings.failOpenCookie
        if connections.contains(where: { $0.controller != nil && $0.session.negotiated }) {
            guard controllerLostAt != nil else { return }
            controllerLostAt = nil
            var removed = false
            try? datapath.editFlows { (flows: inout [FlowEntry]) throws(OpenFlowError) in
                let before = flows.count
                flows.removeAll { $0.cookie == cookie }
                removed = flows.count < before
            }
            if removed { log("openflow: a controller is connected: the fail-open flow is gone") }
        } else if let lostAt = controllerLostAt {
            guard now - lostAt >= failOpenDelay else { return }
            controllerLostAt = .infinity  // failed open until a controller connects again
            var added = false
            try? datapath.editFlows { (flows: inout [FlowEntry]) throws(OpenFlowError) in
                guard !flows.contains(where: { $0.cookie == cookie }) else { return }
                flows.append(FlowEntry(priority: 0, actions: [.normal], cookie: cookie))
                added = true
            }
            if added { log("openflow: no controller for \(Int(failOpenDelay)) s: failing open (priority=0,actions=normal)") }
        } else {
            controllerLostAt = now
        }
    }

    /// Sends what the switch punted (PACKET_IN) and the flows that timed out (FLOW_REMOVED) to
    /// every controller that wants them.
    func deliverPacketIns() {
        let events = datapath.takePacketIns()
        let timedOut = datapath.takeTimedOutFlows()
        guard !events.isEmpty || !timedOut.isEmpty else { return }
        var closed: [Int32] = []
        for connection in connections {
            let messages =
                events.compactMap { connection.session.packetIn($0) }
                + timedOut.compactMap { connection.session.flowRemoved($0.record, reason: $0.hard ? 1 : 0) }
            for message in messages where !send(message, on: connection.fd) {
                closed.append(connection.fd)
                break
            }
        }
        for fd in closed { drop(fd, reason: "cannot send to the controller") }
    }

    func accept(from listener: (fd: Int32, endpoint: OpenFlowSettings.Endpoint)) {
        let fd = Glibc.accept(listener.fd, nil, nil)
        guard fd >= 0 else { return }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        adopt(fd, peer: "client on \(listener.endpoint)", controller: nil)
    }

    /// Starts a session on `fd`: send timeout, no Nagle delay, our HELLO.
    func adopt(_ fd: Int32, peer: String, controller: Int?) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let connection = Connection(
            fd: fd, peer: peer, session: OpenFlowSession(datapath: datapath, settings: sessionSettings, statistics: statistics),
            now: Self.now(), controller: controller)
        connections.append(connection)
        statistics.update { $0.connections = connections.count }
        guard send(connection.session.greeting(), on: fd) else {
            drop(fd, reason: "cannot send HELLO")
            return
        }
        log("openflow: \(peer) connected")
    }

    /// Reads what arrived and answers every whole message; false when the peer is gone.
    func read(_ connection: Connection) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { Glibc.read(connection.fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return count < 0 && (errno == EINTR || errno == EAGAIN) }
        connection.buffer += chunk[..<count]
        connection.lastHeard = Self.now()
        while let length = OpenFlowCodec.announcedLength(connection.buffer[...]), connection.buffer.count >= max(length, 4) {
            guard length >= OpenFlowCodec.headerLength else {
                // A length below the header's own cannot be framed: the stream is lost.
                log("openflow: \(connection.peer): a message announces \(length) bytes; closing")
                return false
            }
            let message = connection.buffer[..<length]
            for reply in connection.session.receive(message) where !send(reply, on: connection.fd) { return false }
            connection.buffer.removeFirst(length)
            if connection.session.closing { return false }
        }
        return true
    }

    func send(_ bytes: [UInt8], on fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    func drop(_ fd: Int32, reason: String) {
        guard let index = connections.firstIndex(where: { $0.fd == fd }) else { return }
        let connection = connections.remove(at: index)
        Glibc.close(fd)
        statistics.update { $0.connections = connections.count }
        if let controller = connection.controller {
            controllers[controller].connected = false
            controllers[controller].nextAttempt = Self.now() + controllers[controller].backoff
        }
        log("openflow: \(connection.peer) disconnected (\(reason))")
    }

    /// ECHO_REQUEST to peers quiet for an interval; peers silent past the limit are dropped.
    func keepAlive(now: Double) {
        for connection in connections {
            if now - connection.lastHeard > Self.silenceLimit {
                drop(connection.fd, reason: "no answer to ECHO for \(Int(Self.silenceLimit)) s")
            } else if now - connection.lastHeard > Self.echoInterval, now - connection.lastEcho > Self.echoInterval {
                connection.lastEcho = now
                _ = send(OpenFlowCodec.encode(OpenFlowFrame(xid: 0xEC40, message: .echoRequest([]))), on: connection.fd)
            }
        }
    }

    /// Connects to every controller that is due; a failure doubles its backoff (to 16 s).
    func connectControllers(now: Double) {
        for index in controllers.indices where !controllers[index].connected && now >= controllers[index].nextAttempt {
            let endpoint = controllers[index].endpoint
            let fd: Int32
            do { fd = try Self.connect(to: endpoint) } catch {
                controllers[index].nextAttempt = now + controllers[index].backoff
                controllers[index].backoff = min(controllers[index].backoff * 2, 16)
                continue
            }
            controllers[index].connected = true
            controllers[index].backoff = 1
            adopt(fd, peer: "controller \(endpoint)", controller: index)
        }
    }
}

/// Why the OpenFlow agent could not start (an endpoint that cannot be bound, and why).
public struct OpenFlowAgentError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
