import CPcap
import NFVPacket
import NFVPipeline

/// A port that reads frames from a capture file (pcap or pcapng, through libpcap's
/// `pcap_open_offline`). Timestamps are kept at nanosecond precision.
///
/// Only Ethernet captures (link type EN10MB) are accepted. Frames larger than a pool buffer
/// are dropped at the port as `frame_too_large`.
///
/// A capture taken where the kernel offloads (tcpdump on a TAP or veth with TSO, a test that
/// records what a TAP read returned) holds TCP super-frames: IP packets longer than the MTU,
/// with a partial checksum. Such a frame (TCP, its IP packet longer than `superFrameMTU`)
/// enters the chain as a GSO super-frame whose segments fit that MTU, so a port that does not
/// take offloads (a capture written by the replay) gets them segmented with complete checksums. A damaged file ends the run with a
/// `PortError` naming the file, the packet number and libpcap's description.
public final class PcapFileSource: PacketSource {
    /// The file being read.
    public let path: String
    /// The chain port number stamped on received packets.
    public let portNumber: UInt16
    public let counters = PortCounters()
    /// Packets whose captured length is below their original length (snap length cut them).
    public private(set) var snapTruncatedCount: UInt64 = 0
    public private(set) var isExhausted = false
    private var handle: OpaquePointer?
    private var packetNumber = 0
    /// The IP MTU above which a TCP frame is taken as a super-frame (nil: never).
    public let superFrameMTU: Int?

    /// Opens `path`. Throws a `PortError` naming the file when it cannot be read or is not an
    /// Ethernet capture.
    public init(path: String, portNumber: UInt16 = 0, superFrameMTU: Int? = 1500) throws(PortError) {
        self.path = path
        self.portNumber = portNumber
        self.superFrameMTU = superFrameMTU
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard
            let opened = pcap_open_offline_with_tstamp_precision(
                path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        else {
            throw PortError(
                "\(path): cannot read capture: \(String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        let linkType = pcap_datalink(opened)
        guard linkType == DLT_EN10MB else {
            let name = pcap_datalink_val_to_name(linkType).map { String(cString: $0) } ?? "unknown"
            pcap_close(opened)
            throw PortError(
                "\(path): link type \(name) (\(linkType)) is not supported; "
                    + "capture on an Ethernet interface (link type EN10MB)")
        }
        handle = opened
    }

    deinit { close() }

    /// Closes the file; later receives return nothing.
    public func close() {
        if let handle { pcap_close(handle) }
        handle = nil
        isExhausted = true
    }

    /// Reads the next frame: its bytes (valid until the next read) and timestamp; nil at the
    /// end of the file. Throws a `PortError` naming the file and packet for a damaged record.
    public func readFrame() throws(PortError) -> (bytes: UnsafeRawBufferPointer, timestamp: UInt64)? {
        guard let handle, !isExhausted else { return nil }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        if status == PCAP_ERROR_BREAK || status == -2 {
            close()
            return nil
        }
        guard status == 1, let header, let data else {
            let message = String(cString: pcap_geterr(handle))
            close()
            throw PortError("\(path): packet \(packetNumber + 1): \(message)")
        }
        packetNumber += 1
        let captured = Int(header.pointee.caplen)
        if header.pointee.caplen < header.pointee.len { snapTruncatedCount &+= 1 }
        let seconds = UInt64(UInt(bitPattern: header.pointee.ts.tv_sec))
        let nanoseconds = UInt64(UInt(bitPattern: header.pointee.ts.tv_usec))
        counters.receivedPackets &+= 1
        counters.receivedBytes &+= UInt64(captured)
        return (UnsafeRawBufferPointer(start: data, count: captured), seconds &* 1_000_000_000 &+ nanoseconds)
    }

    public func receive(into batch: PacketBatch, limit: Int) throws(PortError) -> Int {
        var appended = 0
        while appended < limit && !batch.isFull, let frame = try readFrame() {
            switch append(frame.bytes, timestamp: frame.timestamp, to: batch) {
            case .appended:
                appended += 1
            case .frameTooLarge:
                counters.drops.increment(.frameTooLarge)
            case .poolExhausted:
                counters.drops.increment(.poolExhausted)
            case .batchFull:
                preconditionFailure("checked isFull before reading")
            }
        }
        return appended
    }
}

extension PcapFileSource {
    /// Copies a frame read from the capture into `batch` as a packet of this port, marked a
    /// super-frame when it is one (see the type's notes).
    public func append(_ frame: UnsafeRawBufferPointer, timestamp: UInt64, to batch: PacketBatch) -> PacketBatch.AppendResult {
        let result = batch.appendCopy(of: frame, inPort: portNumber, timestamp: timestamp)
        if result == .appended, let superFrameMTU, frame.count > superFrameMTU + 14 {
            markSuperFrame(batch, index: batch.count - 1, mtu: superFrameMTU)
        }
        return result
    }

    /// Marks packet `index` a TSO super-frame with a partial checksum when it is TCP and its IP
    /// packet is longer than `mtu`; its segments carry what the MTU leaves after the headers.
    func markSuperFrame(_ batch: PacketBatch, index: Int, mtu: Int) {
        var parsed = batch.metadata[index]
        let frame = batch.frame(index)
        guard PacketParser.parse(frame, metadata: &parsed) == .none, parsed.flags.contains(.hasL4),
            parsed.ipProtocol == IPProtocol.tcp, !parsed.flags.contains(.fragment)
        else { return }
        let ipLength = SoftwareOffload.ipPacketEnd(frame, metadata: parsed) - Int(parsed.l3Offset)
        let segmentSize = mtu - SoftwareOffload.headerLength(frame, metadata: parsed)
        guard ipLength > mtu, segmentSize > 0 else { return }
        batch.metadata[index].offload = PacketOffload(
            segmentation: parsed.flags.contains(.ipv4) ? .tcpIPv4 : .tcpIPv6, segmentSize: UInt16(segmentSize),
            checksumStart: parsed.l4Offset, checksumOffset: 16, flags: .checksumPartial)
    }

    /// Every frame of the capture at `path`, in order, with its timestamp.
    public static func readAll(path: String) throws(PortError) -> [MemoryPort.Frame] {
        let source = try PcapFileSource(path: path, superFrameMTU: nil)
        let pool = PacketPool(slotCount: PacketBatch.defaultCapacity, slotByteCount: 65_536)
        let batch = PacketBatch(pool: pool)
        var frames: [MemoryPort.Frame] = []
        while !source.isExhausted {
            _ = try source.receive(into: batch, limit: batch.capacity)
            for index in 0..<batch.count {
                frames.append(MemoryPort.Frame(bytes: Array(batch.bytes(index)), timestamp: batch.metadata[index].timestamp))
            }
            batch.releaseAll()
        }
        return frames
    }
}
