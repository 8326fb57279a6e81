/// The 10-byte virtio-net header (`struct virtio_net_hdr`, little-endian on this host) that a
/// TAP opened with `IFF_VNET_HDR` puts in front of every frame it hands out and expects in
/// front of every frame written to it:
///
/// | offset | field | |
/// |---|---|---|
/// | 0 | flags | 1: NEEDS_CSUM, 2: DATA_VALID |
/// | 1 | gso_type | 0 none, 1 TCPv4, 3 UDP (UFO), 4 TCPv6, 5 UDP_L4; 0x80 ECN |
/// | 2 | hdr_len | bytes of headers (Ethernet to the end of the transport header) |
/// | 4 | gso_size | payload bytes per segment |
/// | 6 | csum_start | where checksumming starts, from the frame's first byte |
/// | 8 | csum_offset | where the checksum goes, from csum_start |
///
/// Like Open vSwitch's netdev-linux, the platform reads the header into `PacketOffload` on
/// receive and rebuilds it on transmit from the packet's current headers, so stages that
/// move headers (a VLAN push) never have to patch it.
public enum VirtioNetHeader {
    /// Size of the header.
    @inlinable public static var byteCount: Int { 10 }

    static let needsChecksum: UInt8 = 1
    static let ecnBit: UInt8 = 0x80

    /// The offload the header at `pointer` describes, or nil when the platform cannot take it
    /// (UDP fragmentation offload, an unknown GSO type, GSO with a segment size of 0).
    @inlinable
    public static func load(from pointer: UnsafeRawPointer) -> PacketOffload? {
        let flagsAndType = pointer.loadUnaligned(as: UInt16.self)
        if flagsAndType == 0 { return PacketOffload() }
        let flags = UInt8(truncatingIfNeeded: flagsAndType)
        let type = UInt8(truncatingIfNeeded: flagsAndType >> 8)
        return decode(flags: flags, type: type, pointer: pointer)
    }

    @usableFromInline
    static func decode(flags: UInt8, type: UInt8, pointer: UnsafeRawPointer) -> PacketOffload? {
        guard let segmentation = PacketOffload.Segmentation(rawValue: type & ~ecnBit) else { return nil }
        var offload = PacketOffload()
        offload.segmentation = segmentation
        if flags & needsChecksum != 0 {
            offload.flags.insert(.checksumPartial)
            offload.checksumStart = UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
            offload.checksumOffset = UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        }
        if segmentation != .none {
            offload.segmentSize = UInt16(littleEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
            guard offload.segmentSize != 0 else { return nil }
            if type & ecnBit != 0 { offload.flags.insert(.explicitCongestion) }
        } else if type & ecnBit != 0 {
            return nil
        }
        return offload
    }

    /// Writes the header for a packet with `metadata`'s offload and current offsets: a partial
    /// checksum's start is the transport header (`l4Offset`), a super-frame's header length
    /// runs to the end of its TCP or UDP header. A plain frame gets ten zero bytes.
    @inlinable
    public static func store(for metadata: PacketMetadata, frame: UnsafeRawPointer, to pointer: UnsafeMutableRawPointer) {
        let offload = metadata.offload
        if offload.isNone {
            pointer.storeBytes(of: 0, as: UInt64.self)
            pointer.storeBytes(of: 0, toByteOffset: 8, as: UInt16.self)
            return
        }
        storeOffload(for: metadata, frame: frame, to: pointer)
    }

    @usableFromInline
    static func storeOffload(for metadata: PacketMetadata, frame: UnsafeRawPointer, to pointer: UnsafeMutableRawPointer) {
        let offload = metadata.offload
        let l4 = Int(metadata.l4Offset)
        var type = offload.segmentation.rawValue
        if offload.flags.contains(.explicitCongestion) { type |= ecnBit }
        let headerLength = Int(metadata.l3Offset) + SoftwareOffload.headerLength(frame, metadata: metadata)
        pointer.storeBytes(of: offload.isChecksumPartial ? needsChecksum : 0, as: UInt8.self)
        pointer.storeBytes(of: type, toByteOffset: 1, as: UInt8.self)
        pointer.storeBytes(of: UInt16(truncatingIfNeeded: headerLength).littleEndian, toByteOffset: 2, as: UInt16.self)
        pointer.storeBytes(of: offload.segmentSize.littleEndian, toByteOffset: 4, as: UInt16.self)
        pointer.storeBytes(of: UInt16(truncatingIfNeeded: l4).littleEndian, toByteOffset: 6, as: UInt16.self)
        let checksumOffset = UInt16(SoftwareOffload.checksumFieldOffset(metadata.ipProtocol))
        pointer.storeBytes(of: (offload.isChecksumPartial ? checksumOffset : 0).littleEndian, toByteOffset: 8, as: UInt16.self)
    }
}
