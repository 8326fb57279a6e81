extension SoftwareOffload {
    /// Cuts a super-frame into the frames a receiver without offloads expects, one at a time in
    /// `scratch`, and hands each to `emit`, as the kernel's tcp_gso_segment and
    /// __udp_gso_segment do:
    ///
    /// - TCP: every segment carries `segmentSize` payload bytes (the last one the rest), the
    ///   headers of the super-frame with the sequence number advanced, FIN and PSH only on the
    ///   last segment and CWR only on the first; IPv4 identifications count up from the
    ///   super-frame's.
    /// - UDP: every segment is a datagram of its own with its own UDP length.
    ///
    /// Every segment leaves with complete IPv4 header and transport checksums. `segmentSize`
    /// may be smaller than the offload's (TCP segments cut to fit a smaller MTU). Returns false,
    /// emitting nothing, when the frame is not a super-frame the parse stage accepted or a
    /// segment would not fit `scratchCapacity`.
    public static func segment(
        _ frame: UnsafeRawPointer, metadata: PacketMetadata, segmentSize: Int,
        into scratch: UnsafeMutableRawPointer, scratchCapacity: Int,
        _ emit: (UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        let isTCP = metadata.ipProtocol == IPProtocol.tcp
        guard metadata.flags.contains(.hasL4), isTCP || metadata.ipProtocol == IPProtocol.udp, segmentSize > 0 else { return false }
        let l3Offset = Int(metadata.l3Offset)
        let l4Offset = Int(metadata.l4Offset)
        let headersEnd = l3Offset + headerLength(frame, metadata: metadata)
        let transportHeaderLength = headersEnd - l4Offset
        let end = ipPacketEnd(frame, metadata: metadata)
        guard end >= headersEnd, end <= Int(metadata.length), headersEnd + segmentSize <= scratchCapacity else { return false }
        let isIPv4 = metadata.flags.contains(.ipv4)
        let payloadLength = end - headersEnd
        let originalTCP = TCPHeader(UnsafeMutableRawPointer(mutating: frame + l4Offset))
        let firstSequence = isTCP ? originalTCP.sequenceNumber : 0
        let originalFlags = isTCP ? frame.load(fromByteOffset: l4Offset + 13, as: UInt8.self) : 0
        let firstIdentification = isIPv4 ? IPv4Header(UnsafeMutableRawPointer(mutating: frame + l3Offset)).identification : 0
        var offset = 0
        var index = 0
        repeat {
            let chunk = min(segmentSize, payloadLength - offset)
            scratch.copyMemory(from: frame, byteCount: headersEnd)
            if chunk > 0 { (scratch + headersEnd).copyMemory(from: frame + headersEnd + offset, byteCount: chunk) }
            let l3 = scratch + l3Offset
            let l4 = scratch + l4Offset
            let transportLength = transportHeaderLength + chunk
            if isIPv4 {
                l3.storeNetworkUInt16(UInt16(truncatingIfNeeded: l4Offset - l3Offset + transportLength), at: 2)
                l3.storeNetworkUInt16(firstIdentification &+ UInt16(truncatingIfNeeded: index), at: 4)
                IPv4Header(l3).updateChecksum()
            } else {
                l3.storeNetworkUInt16(UInt16(truncatingIfNeeded: l4Offset - l3Offset - 40 + transportLength), at: 4)
            }
            let isLast = offset + chunk >= payloadLength
            if isTCP {
                l4.storeNetworkUInt32(firstSequence &+ UInt32(truncatingIfNeeded: offset), at: 4)
                var flags = originalFlags
                if !isLast { flags &= ~(TCPFlags.fin.rawValue | TCPFlags.psh.rawValue) }
                if index > 0 { flags &= ~TCPFlags.cwr.rawValue }
                l4.storeByte(flags, at: 13)
            } else {
                l4.storeNetworkUInt16(UInt16(truncatingIfNeeded: transportLength), at: 4)
            }
            let checksumField = checksumFieldOffset(metadata.ipProtocol)
            l4.storeBytes(of: 0, toByteOffset: checksumField, as: UInt16.self)
            var sum = ReplyBuilder.transportChecksum(
                scratch, l3Offset: l3Offset, l4Offset: l4Offset, length: transportLength, protocol: metadata.ipProtocol, isIPv4: isIPv4)
            if sum == 0 && !isTCP { sum = 0xFFFF }
            l4.storeNetworkUInt16(sum, at: checksumField)
            emit(UnsafeRawBufferPointer(start: scratch, count: headersEnd + chunk))
            offset += chunk
            index += 1
        } while offset < payloadLength
        return true
    }

    /// How many payload bytes each segment may carry so that it fits an IP MTU of `mtu`: the
    /// smaller of the offload's segment size and what the MTU leaves after the IP and transport
    /// headers.
    @inlinable
    public static func segmentSize(_ frame: UnsafeRawPointer, metadata: PacketMetadata, mtu: Int) -> Int {
        min(Int(metadata.offload.segmentSize), mtu - headerLength(frame, metadata: metadata))
    }

    /// The IP length of one full segment of a super-frame (the figure an MTU check compares):
    /// IP and transport headers plus the segment size. For any other packet, its IP length.
    @inlinable
    public static func segmentIPLength(_ frame: UnsafeRawPointer, metadata: PacketMetadata, ipLength: Int) -> Int {
        guard metadata.offload.isSuperFrame else { return ipLength }
        return min(ipLength, headerLength(frame, metadata: metadata) + Int(metadata.offload.segmentSize))
    }
}
