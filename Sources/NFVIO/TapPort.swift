import CLinux
import NFVPacket
import NFVPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// A chain port on a Linux TAP device (`/dev/net/tun`, `IFF_TAP | IFF_NO_PI`): frames the
/// kernel sends into the TAP are received here, frames transmitted here appear on the kernel's
/// side of the TAP as if they came in from a wire.
///
/// The fd is non-blocking: `receive` reads until EAGAIN, the batch is full or `limit` frames,
/// straight into pool buffers (no copy); `transmit` writes each frame once. Drops, counted in
/// `counters.drops`: `frame_too_large` (a received frame filled the whole buffer, so it may be
/// truncated), `pool_exhausted`, `frame_above_mtu` (a frame to send is longer than MTU + the
/// Ethernet header: never written truncated), `transmit_queue_full` (EAGAIN or ENOBUFS on
/// write), `port_down` (the device is gone: EBADFD, ENODEV, ENXIO; `isDown` turns true,
/// `downEvents` counts it, the chain keeps running; or its kernel side is set down: EIO,
/// `isLinkDown` is true until a write succeeds again, so the port comes back with the link).
/// EINTR is retried.
///
/// Offloads (`offloads: true`): the TAP is opened with `IFF_VNET_HDR` and told (TUNSETOFFLOAD)
/// that the reader takes partial checksums, TSO4/TSO6 with ECN and, where the kernel has it,
/// USO. Every frame then comes with a virtio-net header (`VirtioNetHeader`), read into the
/// buffer's headroom in the same `read`, and the kernel hands over GSO super-frames of up to
/// 64 KiB (the pool needs slots that hold them, `PacketPool.superFrameSlotByteCount`). On
/// transmit the header is rebuilt from the packet's current headers: a super-frame whose
/// segments fit the MTU leaves whole, a TCP one whose segments do not is cut in software to
/// fit (`SoftwareOffload.segment`), any other is dropped as `segmentation_failed`. Without
/// offloads, super-frames from other ports are segmented and partial checksums finished here,
/// so every frame leaves with complete checksums.
///
/// A TAP the port creates is not persistent: the kernel removes it when the last fd closes,
/// including when the process is killed, so nothing is left behind.
///
/// A container port (`attach: cni`) starts detached (`init(detachedName:...)`, no fd): it
/// receives nothing and drops what the chain sends it as `port_detached` until `attach` gives
/// it a queue of the container's TAP; `detach` closes that queue again. Only the thread that
/// runs the port (its worker, or the control side while the workers are stopped) calls them.
public final class TapPort: PacketSource, PacketSink {
    /// The device name (a container port: the name of the interface attached last).
    public private(set) var name: String
    /// The chain port number stamped on received packets.
    public let portNumber: UInt16
    public let counters = PortCounters()
    /// The non-blocking fd (for poll/epoll); -1 while a container port is detached.
    public private(set) var fileDescriptor: Int32
    /// The largest IP packet the port transmits (the frame may add 14 bytes of Ethernet header
    /// and 4 of one VLAN tag).
    public let mtu: Int
    /// True once the device went away.
    public private(set) var isDown = false
    /// How many times the port found its device gone.
    public private(set) var downEvents = 0
    /// True while writes fail with EIO: the kernel side is down (`ip link set down`). Frames
    /// are dropped as `port_down` meanwhile; the first write that succeeds clears it.
    public private(set) var isLinkDown = false
    /// Whether frames carry a virtio-net header and the kernel may send super-frames and
    /// partial checksums.
    public let takesOffloads: Bool
    /// Whether the kernel agreed to UDP segmentation offload (USO, Linux 6.2 and later).
    public private(set) var takesUDPSegmentation = false
    /// Frames read from the queue before this port ran (a migration's hold), received first.
    public var backlog: HeldFrames?
    /// Where segments are built when a super-frame must be cut (virtio header + one segment).
    let segmentScratch: UnsafeMutableRawPointer
    static let segmentScratchByteCount = 65_536 + 64

    /// Attaches to TAP `name`, creating it if it does not exist (names are at most 15 bytes).
    /// `multiQueue` opens one queue of a multi-queue TAP (open once per queue); `offloads`
    /// turns on the virtio-net header and the kernel's offloads toward the port.
    public convenience init(name: String, portNumber: UInt16, mtu: Int = 1500, multiQueue: Bool = false, offloads: Bool = false) throws(PortError) {
        guard !name.isEmpty, name.utf8.count <= 15 else {
            throw PortError("TAP \(name): a device name has 1 to 15 bytes")
        }
        let descriptor = nfv_tap_open(name, multiQueue ? 1 : 0, offloads ? 1 : 0)
        guard descriptor >= 0 else {
            throw PortError(
                "TAP \(name): \(String(cString: strerror(-descriptor)))"
                    + (descriptor == -EPERM ? " (creating a TAP needs root or CAP_NET_ADMIN)" : ""))
        }
        try self.init(adopting: descriptor, name: name, portNumber: portNumber, mtu: mtu, offloads: offloads)
    }

    /// Takes over `descriptor`, a queue of TAP `name` already open (by `init(name:...)`, or in
    /// another data plane that passed it over a unix socket: a migration). The port owns it
    /// from here on and closes it; on failure it is closed. `offloads` must say what the queue
    /// was opened with (the virtio-net header).
    public init(adopting descriptor: Int32, name: String, portNumber: UInt16, mtu: Int = 1500, offloads: Bool = false) throws(PortError) {
        self.name = name
        self.portNumber = portNumber
        self.mtu = mtu
        fileDescriptor = descriptor
        takesOffloads = offloads
        segmentScratch = .allocate(byteCount: Self.segmentScratchByteCount, alignment: 64)
        do { takesUDPSegmentation = try Self.negotiateOffloads(descriptor, offloads: offloads, name: name) } catch {
            close(descriptor)
            segmentScratch.deallocate()
            throw error
        }
    }

    /// A container port with nothing attached yet (`attach` gives it a TAP queue).
    public init(detachedName name: String, portNumber: UInt16, mtu: Int = 1500, offloads: Bool = false) {
        self.name = name
        self.portNumber = portNumber
        self.mtu = mtu
        fileDescriptor = -1
        takesOffloads = offloads
        segmentScratch = .allocate(byteCount: Self.segmentScratchByteCount, alignment: 64)
    }

    deinit {
        if fileDescriptor >= 0 { close(fileDescriptor) }
        segmentScratch.deallocate()
    }

    /// Tells the kernel which offloads the reader takes (with `offloads`, everything it offers,
    /// USO where it has it); true when USO was agreed to.
    static func negotiateOffloads(_ descriptor: Int32, offloads: Bool, name: String) throws(PortError) -> Bool {
        guard offloads else { return false }
        if nfv_tap_set_offloads(descriptor, 1) == 0 { return true }
        let result = nfv_tap_set_offloads(descriptor, 0)
        guard result == 0 else { throw PortError("TAP \(name): TUNSETOFFLOAD: \(String(cString: strerror(-result)))") }
        return false
    }

    /// True while a container port has no TAP queue (before `attach`, after `detach`).
    public var isDetached: Bool { fileDescriptor < 0 }

    /// Takes `descriptor`, a queue of the container's TAP `name` (opened with the port's
    /// offloads setting), closing the one held before; the port forwards again from here. On
    /// failure `descriptor` is closed and the port stays as it was.
    public func attach(_ descriptor: Int32, name: String) throws(PortError) {
        do { takesUDPSegmentation = try Self.negotiateOffloads(descriptor, offloads: takesOffloads, name: name) } catch {
            close(descriptor)
            throw error
        }
        if fileDescriptor >= 0 { close(fileDescriptor) }
        fileDescriptor = descriptor
        self.name = name
        isDown = false
        isLinkDown = false
    }

    /// Closes the port's queue; from here frames for it are dropped as `port_detached`.
    public func detach() {
        guard fileDescriptor >= 0 else { return }
        close(fileDescriptor)
        fileDescriptor = -1
    }

    /// Makes the device outlive its queues, or not (TUNSETPERSIST): a container's TAP persists
    /// so that the container keeps its interface and addresses while no data plane runs.
    public func setPersistent(_ persistent: Bool) throws(PortError) {
        guard fileDescriptor >= 0 else { return }
        let result = nfv_tap_set_persist(fileDescriptor, persistent ? 1 : 0)
        guard result == 0 else { throw PortError("TAP \(name): TUNSETPERSIST: \(String(cString: strerror(-result)))") }
    }

    /// A live port never runs out.
    public var isExhausted: Bool { false }

    /// The largest frame `transmit` writes: MTU + Ethernet header + one VLAN tag.
    public var maximumFrameByteCount: Int { mtu + 18 }

    public func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        guard !isDown, fileDescriptor >= 0 else { return 0 }
        let pool = batch.pool
        let capacity = pool.maximumFrameByteCount
        // With offloads the virtio-net header lands in the headroom, right before the frame.
        let headerBytes = takesOffloads ? VirtioNetHeader.byteCount : 0
        precondition(pool.headroom >= headerBytes, "the pool's headroom must hold a virtio-net header")
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let timestamp = UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
        var received = 0
        // Frames held before the port ran come first (nil on every call but a migration's first).
        let held = backlog
        defer { if held?.isEmpty == true { backlog = nil } }
        while received < limit, !batch.isFull {
            guard let id = pool.allocate() else {
                // Leave the frame in the kernel's queue only if it cannot be read at all: read
                // it into nothing so the ring keeps moving, and count it.
                var scratch: UInt8 = 0
                if read(fileDescriptor, &scratch, 1) >= 0 { counters.drops.increment(.poolExhausted) }
                break
            }
            let start = pool.slot(id) + pool.headroom
            let count =
                held?.take(into: start - headerBytes, capacity: capacity + headerBytes)
                ?? nfv_read(fileDescriptor, start - headerBytes, UInt(capacity + headerBytes))
            if count < 0 {
                pool.release(id)
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK { break }
                noteFailure(error)
                break
            }
            let frameLength = count - headerBytes
            if frameLength <= 0 {
                pool.release(id)
                if count == 0 { break }
                continue
            }
            counters.receivedPackets &+= 1
            counters.receivedBytes &+= UInt64(frameLength)
            if frameLength >= capacity {  // filled the buffer: the frame may have been cut
                pool.release(id)
                counters.drops.increment(.frameTooLarge)
                continue
            }
            var entry = PacketMetadata(
                id: id, dataOffset: UInt16(pool.headroom), length: UInt16(frameLength),
                inPort: portNumber, timestamp: timestamp)
            if takesOffloads {
                guard let offload = VirtioNetHeader.load(from: start - headerBytes) else {
                    pool.release(id)
                    counters.drops.increment(.badOffload)
                    continue
                }
                entry.offload = offload
            }
            _ = batch.append(entry)
            received += 1
        }
        return received
    }

    public func transmit(_ batch: PacketBatch) throws(PortError) {
        guard fileDescriptor >= 0 else {
            for _ in 0..<batch.count { counters.drops.increment(.portDetached) }
            batch.releaseAll()
            return
        }
        let limit = maximumFrameByteCount
        for index in 0..<batch.count {
            if isDown {
                counters.drops.increment(.portDown)
                continue
            }
            let entry = batch.metadata[index]
            let frame = batch.frame(index)
            if !entry.offload.isNone {
                transmitOffloaded(frame, entry: entry)
                continue
            }
            let length = Int(entry.length)
            if length > limit {
                counters.drops.increment(.frameAboveMTU)
                continue
            }
            if takesOffloads {
                sendWithHeader(frame, entry: entry)
            } else {
                send(frame, byteCount: length, frameBytes: length)
            }
        }
        batch.releaseAll()
    }

    /// Writes `byteCount` bytes (header included) once, counting `frameBytes` of frame.
    @inline(__always)
    func send(_ start: UnsafeRawPointer, byteCount: Int, frameBytes: Int) {
        while true {
            let written = nfv_write(fileDescriptor, start, UInt(byteCount))
            if noteWrite(written, frameBytes: frameBytes) { break }
        }
    }

    /// Counts the outcome of one write; false when it should be retried (EINTR).
    @inline(__always)
    func noteWrite(_ written: Int, frameBytes: Int) -> Bool {
        if written >= 0 {
            isLinkDown = false
            counters.transmittedPackets &+= 1
            counters.transmittedBytes &+= UInt64(frameBytes)
            return true
        }
        let error = errno
        if error == EINTR { return false }
        if error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS {
            counters.drops.increment(.transmitQueueFull)
        } else {
            noteFailure(error)
            counters.drops.increment(.portDown)
        }
        return true
    }

    /// Waits until the TAP has a frame to read or `timeoutMilliseconds` pass; true when readable.
    public func waitReadable(timeoutMilliseconds: Int32) -> Bool {
        var poller = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&poller, 1, timeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            return ready > 0 && poller.revents & Int16(POLLIN) != 0
        }
    }

    /// Waits until any of `ports` has a frame to read or `timeoutMilliseconds` pass (the idle
    /// step of a live loop); true when one is readable.
    @discardableResult
    public static func waitReadable(_ ports: [TapPort], timeoutMilliseconds: Int32) -> Bool {
        var pollers = ports.map { pollfd(fd: $0.fileDescriptor, events: Int16(POLLIN), revents: 0) }
        while true {
            let ready = poll(&pollers, nfds_t(pollers.count), timeoutMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            return ready > 0
        }
    }

    /// An error that is not about room or retrying. EIO: the kernel side is down, which the
    /// operator can undo, so the port keeps trying. Anything else (EBADFD, ENODEV, ENXIO): the
    /// device is gone, or something the port cannot fix; the port stops using it.
    func noteFailure(_ error: Int32) {
        if error == EIO {
            if !isLinkDown { downEvents += 1 }
            isLinkDown = true
            return
        }
        if !isDown { downEvents += 1 }
        isDown = true
    }
}
