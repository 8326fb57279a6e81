import NFVPacket

#if canImport(Glibc)
    import Glibc
#endif

/// One health probe of a backend, run from the control side over the host's own sockets.
public enum HealthProbe {
    /// True when a TCP handshake with `address`:`port` completes within `timeoutMilliseconds`
    /// (the connection is closed at once; a refusal or a timeout is a failure).
    public static func tcpConnect(address: IPv4Address, port: UInt16, timeoutMilliseconds: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var target = socketAddress(address, port: port)
        let started = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if started == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, Int32(timeoutMilliseconds)) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return false }
        return error == 0
    }

    /// True when `address` answers an ICMP echo within `timeoutMilliseconds`. Uses an ICMP
    /// datagram socket where `net.ipv4.ping_group_range` allows it, else a raw socket (root).
    public static func icmpEcho(address: IPv4Address, timeoutMilliseconds: Int, identifier: UInt16, sequence: UInt16) -> Bool {
        var raw = false
        var descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMP))
        if descriptor < 0 {
            descriptor = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_ICMP))
            raw = true
        }
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        // Echo request (RFC 792): type 8, code 0, checksum, identifier, sequence, 8 bytes of data.
        var request = [UInt8](repeating: 0, count: 16)
        request[0] = 8
        request[4] = UInt8(identifier >> 8)
        request[5] = UInt8(identifier & 0xFF)
        request[6] = UInt8(sequence >> 8)
        request[7] = UInt8(sequence & 0xFF)
        for index in 8..<16 { request[index] = UInt8(index) }
        let checksum = request.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, byteCount: 16) }
        request[2] = UInt8(checksum >> 8)
        request[3] = UInt8(checksum & 0xFF)
        var target = socketAddress(address, port: 0)
        let sent = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, request, request.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == request.count else { return false }
        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        var reply = [UInt8](repeating: 0, count: 1500)
        while true {
            let remaining = deadline - monotonicMilliseconds()
            guard remaining > 0 else { return false }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(remaining)) == 1 else { return false }
            var from = sockaddr_in()
            var fromLength = socklen_t(MemoryLayout<sockaddr_in>.size)
            let received = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &reply, reply.count, 0, $0, &fromLength) }
            }
            guard received > 0, UInt32(bigEndian: from.sin_addr.s_addr) == address.rawValue else { continue }
            // A raw socket hands over the IP header too; a datagram socket only the ICMP message,
            // with the identifier the kernel chose, so only the sequence is compared there.
            let start = raw ? Int(reply[0] & 0x0F) * 4 : 0
            guard received >= start + 8, reply[start] == 0 else { continue }
            let repliedSequence = UInt16(reply[start + 6]) << 8 | UInt16(reply[start + 7])
            let repliedIdentifier = UInt16(reply[start + 4]) << 8 | UInt16(reply[start + 5])
            if repliedSequence == sequence && (!raw || repliedIdentifier == identifier) { return true }
        }
    }

    static func socketAddress(_ address: IPv4Address, port: UInt16) -> sockaddr_in {
        var value = sockaddr_in()
        value.sin_family = sa_family_t(AF_INET)
        value.sin_port = port.bigEndian
        value.sin_addr.s_addr = address.rawValue.bigEndian
        return value
    }

    /// Milliseconds on the monotonic clock.
    public static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
