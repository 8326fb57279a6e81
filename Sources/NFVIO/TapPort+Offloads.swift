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
        var entry = entry
        let length = Int(entry.length)
        if entry.offload.isSuperFrame {
            let ipLength = SoftwareOffload.ipPacketEnd(frame, metadata: entry) - Int(entry.l3Offset)
            if takesOffloads && SoftwareOffload.segmentIPLength(frame, metadata: entry, ipLength: ipLength) <= mtu {
                sendWithHeader(frame, entry: entry)
                return
            }
            // Segments must fit the MTU: TCP may be cut smaller than the sender asked, UDP not.
            let size = SoftwareOffload.segmentSize(frame, metadata: entry, mtu: mtu)
            guard size > 0, size == Int(entry.offload.segmentSize) || entry.ipProtocol == IPProtocol.tcp else {
                counters.drops.increment(.segmentationFailed)
                return
            }
            let headerBytes = takesOffloads ? VirtioNetHeader.byteCount : 0
            // Segments are plain frames with complete checksums: a zero virtio-net header.
            segmentScratch.initializeMemory(as: UInt8.self, repeating: 0, count: headerBytes)
            let cut = SoftwareOffload.segment(
                frame, metadata: entry, segmentSize: size, into: segmentScratch + headerBytes,
                scratchCapacity: Self.segmentScratchByteCount - headerBytes
            ) { segment in
                send(segmentScratch, byteCount: segment.count + headerBytes, frameBytes: segment.count)
            }
            if !cut { counters.drops.increment(.segmentationFailed) }
            return
        }
        if length > maximumFrameByteCount {
            counters.drops.increment(.frameAboveMTU)
            return
        }
        if takesOffloads {
            sendWithHeader(frame, entry: entry)
        } else {
            SoftwareOffload.finishChecksum(frame, metadata: &entry)
            send(frame, byteCount: length, frameBytes: length)
        }
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
                let written = writev(fileDescriptor, pointer, 2)
                if noteWrite(written, frameBytes: length) { break }
            }
        }
    }
}
