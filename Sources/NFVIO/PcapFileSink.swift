import CPcap
import NFVPacket
import NFVPipeline

/// A port that writes frames into a pcap file (libpcap `pcap_dump`), Ethernet link type.
/// As a sink it takes the packets and frees their buffers; as a recorder (a trace point) it
/// writes copies and leaves the batch alone.
///
/// A capture is a receiver without offloads: as a sink the port finishes partial checksums and
/// cuts GSO super-frames into segments (`SoftwareOffload`), so the file holds the frames a wire
/// would carry. As a recorder it writes what the chain holds at that point, super-frames whole
/// (as tcpdump shows them) and partial checksums of other frames finished.
public final class PcapFileSink: PacketSink, PacketRecorder {
    /// The file being written.
    public let path: String
    public let counters = PortCounters()
    private var deadHandle: OpaquePointer?
    private var dumper: OpaquePointer?

    /// Creates (or truncates) `path`. `nanosecondTimestamps` writes the nanosecond pcap
    /// variant; the default microsecond format is the one every tool reads.
    public init(path: String, nanosecondTimestamps: Bool = false, snapLength: Int32 = 262_144) throws(PortError) {
        self.path = path
        let precision = nanosecondTimestamps ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO
        guard let dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, snapLength, UInt32(precision)) else {
            throw PortError("\(path): libpcap could not create a capture handle")
        }
        guard let opened = pcap_dump_open(dead, path) else {
            let message = String(cString: pcap_geterr(dead))
            pcap_close(dead)
            throw PortError("\(path): cannot write capture: \(message)")
        }
        self.nanosecond = nanosecondTimestamps
        deadHandle = dead
        dumper = opened
    }

    private let nanosecond: Bool
    /// Where segments of a super-frame, and finished copies of recorded frames, are built.
    private let scratch = UnsafeMutableRawPointer.allocate(byteCount: 65_536, alignment: 64)

    deinit {
        close()
        scratch.deallocate()
    }

    /// Flushes and closes the file. Writing afterwards does nothing.
    public func close() {
        if let dumper {
            pcap_dump_flush(dumper)
            pcap_dump_close(dumper)
        }
        if let deadHandle { pcap_close(deadHandle) }
        dumper = nil
        deadHandle = nil
    }

    /// Writes everything buffered so far to the file.
    public func flush() throws(PortError) {
        guard let dumper else { return }
        if pcap_dump_flush(dumper) != 0 { throw PortError("\(path): write failed (disk full?)") }
    }

    /// Writes one frame with its timestamp (nanoseconds since the epoch).
    public func write(_ frame: UnsafeRawBufferPointer, timestamp: UInt64) {
        guard let dumper, let base = frame.baseAddress else { return }
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(timestamp / 1_000_000_000)
        let fraction = timestamp % 1_000_000_000
        header.ts.tv_usec = Int(nanosecond ? fraction : fraction / 1000)
        header.caplen = UInt32(frame.count)
        header.len = UInt32(frame.count)
        pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, base.assumingMemoryBound(to: UInt8.self))
        counters.transmittedPackets &+= 1
        counters.transmittedBytes &+= UInt64(frame.count)
    }

    public func record(_ batch: PacketBatch) throws(PortError) {
        for index in 0..<batch.count {
            let entry = batch.metadata[index]
            if entry.offload.isChecksumPartial && !entry.offload.isSuperFrame {
                writeFinished(batch.bytes(index), entry: entry)
            } else {
                write(batch.bytes(index), timestamp: entry.timestamp)
            }
        }
    }

    /// Records a copy of a frame whose checksum is still partial with the checksum finished, as
    /// the receiver will get it (the packet in the batch keeps its partial checksum). A
    /// super-frame is recorded whole, as tcpdump shows one, since no receiver gets it as such.
    func writeFinished(_ frame: UnsafeRawBufferPointer, entry: PacketMetadata) {
        guard let base = frame.baseAddress, frame.count <= 65_536 else { return }
        scratch.copyMemory(from: base, byteCount: frame.count)
        var copy = entry
        SoftwareOffload.finishChecksum(scratch, metadata: &copy)
        write(UnsafeRawBufferPointer(start: scratch, count: frame.count), timestamp: entry.timestamp)
    }

    public func transmit(_ batch: PacketBatch) throws(PortError) {
        for index in 0..<batch.count {
            let entry = batch.metadata[index]
            if entry.offload.isNone {
                write(batch.bytes(index), timestamp: entry.timestamp)
                continue
            }
            let written = SoftwareOffload.plainFrames(
                batch.frame(index), metadata: entry, segmentSize: Int(entry.offload.segmentSize), scratch: scratch,
                scratchCapacity: 65_536
            ) { write($0, timestamp: entry.timestamp) }
            if !written { counters.drops.increment(.segmentationFailed) }
        }
        batch.releaseAll()
    }
}
