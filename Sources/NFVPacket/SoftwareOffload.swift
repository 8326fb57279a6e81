/// What a port or the parse stage does in software when an offload (`PacketOffload`) cannot be
/// left to the receiver: check a received offload against the packet's headers, finish a
/// partial checksum, cut a super-frame into segments (`segment`, in
/// SoftwareOffload+Segmentation.swift).
///
/// Checksums follow Linux: a partial checksum field holds the folded pseudo-header sum, not
/// complemented; finishing it sums from the start of the transport header to the end of the IP
/// packet, field included, and stores the complement (skb_checksum_help). A UDP checksum that
/// comes out 0 is sent as 0xFFFF (RFC 768).
public enum SoftwareOffload {
    /// Checks a received offload against what the parser found (call after a successful parse,
    /// when `metadata.offload` is not `isNone`). Afterwards a partial checksum sits at
    /// `l4Offset`; a partial checksum anywhere else (an ICMP or SCTP checksum, a tunnel) is
    /// finished here, from `checksumStart` to the end of the frame, as the kernel would.
    /// Returns `.badOffload` for a description that does not fit the packet.
    public static func normalize(_ frame: UnsafeMutableRawPointer, metadata: inout PacketMetadata) -> DropReason {
        var offload = metadata.offload
        let isTCP = metadata.ipProtocol == IPProtocol.tcp
        let isUDP = metadata.ipProtocol == IPProtocol.udp
        let hasTransport = metadata.flags.contains(.hasL4) && (isTCP || isUDP)
        if offload.isSuperFrame {
            let fits: Bool
            switch offload.segmentation {
            case .tcpIPv4: fits = isTCP && metadata.flags.contains(.ipv4)
            case .tcpIPv6: fits = isTCP && metadata.flags.contains(.ipv6)
            case .udp: fits = isUDP
            case .none: fits = false
            }
            guard fits, hasTransport else { return .badOffload }
        } else {
            offload.segmentation = .none
        }
        if offload.isChecksumPartial {
            let expectedOffset = UInt16(checksumFieldOffset(metadata.ipProtocol))
            if !(hasTransport && offload.checksumStart == metadata.l4Offset && offload.checksumOffset == expectedOffset) {
                guard !offload.isSuperFrame else { return .badOffload }
                let start = Int(offload.checksumStart)
                let field = start + Int(offload.checksumOffset)
                guard field + 2 <= Int(metadata.length), start <= field else { return .badOffload }
                // Unknown coverage: sum to the end of the frame, as skb_checksum_help does.
                frame.storeBytes(of: 0, toByteOffset: field, as: UInt16.self)
                let sum = InternetChecksum.checksum(frame + start, byteCount: Int(metadata.length) - start)
                frame.storeNetworkUInt16(sum, at: field)
                offload.flags.remove(.checksumPartial)
            }
        }
        offload.checksumStart = 0
        offload.checksumOffset = 0
        metadata.offload = offload
        return .none
    }

    /// The end of the IP packet (its first byte after the payload), from the frame's first byte:
    /// Ethernet padding after it is not covered by any checksum.
    @inlinable
    public static func ipPacketEnd(_ frame: UnsafeRawPointer, metadata: PacketMetadata) -> Int {
        let l3 = UnsafeMutableRawPointer(mutating: frame + Int(metadata.l3Offset))
        if metadata.flags.contains(.ipv4) { return Int(metadata.l3Offset) + Int(IPv4Header(l3).totalLength) }
        return Int(metadata.l3Offset) + 40 + Int(IPv6Header(l3).payloadLength)
    }

    /// Finishes a partial TCP or UDP checksum in place (normalized: at `l4Offset`) and clears the
    /// mark; does nothing when the checksum is complete.
    public static func finishChecksum(_ frame: UnsafeMutableRawPointer, metadata: inout PacketMetadata) {
        guard metadata.offload.isChecksumPartial else { return }
        let l4 = Int(metadata.l4Offset)
        let end = ipPacketEnd(frame, metadata: metadata)
        let field = l4 + checksumFieldOffset(metadata.ipProtocol)
        if end >= field + 2 {
            // The field already holds the pseudo-header sum, so summing over it adds that in.
            var sum = InternetChecksum.checksum(frame + l4, byteCount: end - l4)
            if sum == 0 && metadata.ipProtocol == IPProtocol.udp { sum = 0xFFFF }
            frame.storeNetworkUInt16(sum, at: field)
        }
        metadata.offload.flags.remove(.checksumPartial)
    }

    /// Where a TCP or UDP checksum field is in its header.
    @inlinable
    public static func checksumFieldOffset(_ ipProtocol: UInt8) -> Int { ipProtocol == IPProtocol.tcp ? 16 : 6 }

    /// The bytes from the IP header to the end of the TCP or UDP header: what every segment of
    /// a super-frame repeats.
    @inlinable
    public static func headerLength(_ frame: UnsafeRawPointer, metadata: PacketMetadata) -> Int {
        let l4 = Int(metadata.l4Offset)
        let transport = metadata.ipProtocol == IPProtocol.tcp ? TCPHeader(UnsafeMutableRawPointer(mutating: frame + l4)).headerByteCount : 8
        return l4 - Int(metadata.l3Offset) + transport
    }

    /// Hands `emit` what a receiver without offloads expects for a packet: a super-frame's
    /// segments of `segmentSize` payload bytes (built in `scratch`), or the frame itself with a
    /// partial checksum finished in place. False when a super-frame cannot be cut.
    public static func plainFrames(
        _ frame: UnsafeMutableRawPointer, metadata: PacketMetadata, segmentSize: Int,
        scratch: UnsafeMutableRawPointer, scratchCapacity: Int, _ emit: (UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        if metadata.offload.isSuperFrame {
            return segment(frame, metadata: metadata, segmentSize: segmentSize, into: scratch, scratchCapacity: scratchCapacity, emit)
        }
        var metadata = metadata
        finishChecksum(frame, metadata: &metadata)
        emit(UnsafeRawBufferPointer(start: frame, count: Int(metadata.length)))
        return true
    }
}
