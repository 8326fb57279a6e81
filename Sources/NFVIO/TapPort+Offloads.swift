import CLinux
import NFVPacket

#if canImport(Glibc)
    import Glibc
#endif

/// Transmit with offloads: the virtio-net header in front of a frame, and what a port does
/// in software for a frame the kernel on the other side cannot take as it is.
extension TapPort {
    /// A frame with a partial checksum or a super-frame: handed over as it is where the kernel
    /// takes it, else finished or segmented here.
    func transmitOffloaded(_ frame: UnsafeMutableRawPointer, entry: PacketMetadata) {
        let isSuperFrame = entry.offload.isSuperFrame
        if takesOffloads {
            // Whole, with its virtio-net header, when the kernel can take it as it is.
            let ipLength = SoftwareOffload.ipPacketEnd(frame, metadata: entry) - Int(entry.l3Offset)
            let fits =
                isSuperFrame
                ? SoftwareOffload.segmentIPLength(frame, metadata: entry, ipLength: ipLength) <= mtu
                : Int(entry.length) <= maximumFrameByteCount
            if fits {
                sendWithHeader(frame, entry: entry)
                return
            }
        }
        if !isSuperFrame && Int(entry.length) > maximumFrameByteCount {
            counters.drops.increment(.frameAboveMTU)
            return
        }
        // Segments must fit the MTU: TCP may be cut smaller than the sender asked, UDP not.
        let size = isSuperFrame ? SoftwareOffload.segmentSize(frame, metadata: entry, mtu: mtu) : 0
        if isSuperFrame && (size <= 0 || size != Int(entry.offload.segmentSize) && entry.ipProtocol != IPProtocol.tcp) {
            counters.drops.increment(.segmentationFailed)
            return
        }
        // What leaves is plain (complete checksums): with offloads, behind a zero header. Only
        // segments, built in the scratch behind that header, take this path with offloads.
        let headerBytes = takesOffloads ? VirtioNetHeader.byteCount : 0
        segmentScratch.initializeMemory(as: UInt8.self, repeating: 0, count: headerBytes)
        let sent = SoftwareOffload.plainFrames(
            frame, metadata: entry, segmentSize: size, scratch: segmentScratch + headerBytes,
            scratchCapacity: Self.segmentScratchByteCount - headerBytes
        ) { plain in
            send(plain.baseAddress! - headerBytes, byteCount: plain.count + headerBytes, frameBytes: plain.count)
        }
        if !sent { counters.drops.increment(.segmentationFailed) }
    }

    /// Writes the virtio-net header for `entry` in front of the frame (in the headroom, or with
    /// two iovecs when a pushed header left too little of it) and the frame, in one syscall.
    func sendWithHeader(_ frame: UnsafeMutableRawPointer, entry: PacketMetadata) {
        let length = Int(entry.length)
        if entry.dataOffset >= UInt16(VirtioNetHeader.byteCount) {
            let start = frame - VirtioNetHeader.byteCount
            VirtioNetHeader.store(for: entry, frame: frame, to: start)
            send(start, byteCount: length + VirtioNetHeader.byteCount, frameBytes: length)
            return
        }
        // The scratch is free between segmentations: header there, frame from its buffer.
        VirtioNetHeader.store(for: entry, frame: frame, to: segmentScratch)
        var vectors = (
            iovec(iov_base: segmentScratch, iov_len: VirtioNetHeader.byteCount), iovec(iov_base: frame, iov_len: length)
        )
        withUnsafeMutableBytes(of: &vectors) { vectorBytes in
            let pointer = vectorBytes.baseAddress!.assumingMemoryBound(to: iovec.self)
            while true {
                let written = nfv_writev(fileDescriptor, pointer, 2)
                if noteWrite(written, frameBytes: length) { break }
            }
        }
    }
}
