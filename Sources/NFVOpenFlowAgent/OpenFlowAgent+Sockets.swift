import NFVPacket
import NFVSwitch

#if canImport(Glibc)
    import Glibc
#endif

extension OpenFlowAgent {
    /// A listening socket on `endpoint` (TCP with SO_REUSEADDR; a unix path is replaced, its
    /// file made 0600: OpenFlow has no authentication of its own).
    static func listen(on endpoint: OpenFlowSettings.Endpoint) throws(OpenFlowAgentError) -> Int32 {
        let fd: Int32
        switch endpoint {
        case .tcp(let address, let port):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw OpenFlowAgentError("\(endpoint): \(lastError())") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var socketAddress = inetAddress(address, port)
            let bound = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw failed(fd, endpoint) }
        case .unix(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw OpenFlowAgentError("\(endpoint): \(lastError())") }
            unlink(path)
            var socketAddress = unixAddress(path)
            let previous = umask(0o077)
            let bound = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            umask(previous)
            guard bound == 0 else { throw failed(fd, endpoint) }
        }
        guard Glibc.listen(fd, 16) == 0 else { throw failed(fd, endpoint) }
        return fd
    }

    /// A connection to a controller (TCP; at most 1 s to connect).
    static func connect(to endpoint: OpenFlowSettings.Endpoint) throws(OpenFlowAgentError) -> Int32 {
        guard case .tcp(let address, let port) = endpoint else { throw OpenFlowAgentError("\(endpoint): controllers are TCP") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw OpenFlowAgentError("\(endpoint): \(lastError())") }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var socketAddress = inetAddress(address, port)
        let connected = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw failed(fd, endpoint) }
        return fd
    }

    static func failed(_ fd: Int32, _ endpoint: OpenFlowSettings.Endpoint) -> OpenFlowAgentError {
        let error = OpenFlowAgentError("\(endpoint): \(lastError())")
        Glibc.close(fd)
        return error
    }

    static func inetAddress(_ address: IPv4Address, _ port: UInt16) -> sockaddr_in {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr.s_addr = address.rawValue.bigEndian
        return socketAddress
    }

    static func unixAddress(_ path: String) -> sockaddr_un {
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        return socketAddress
    }
}
