import NFVIO
import NFVPacket
import NFVTestSupport
import Testing

/// The virtio-net header as `struct virtio_net_hdr` lays it out (include/uapi/linux/virtio_net.h,
/// little-endian fields), and the parse-time check of an offload against the packet.
@Suite struct VirtioNetHeaderTests {
    static func header(flags: UInt8, type: UInt8, headerLength: UInt16, size: UInt16, start: UInt16, offset: UInt16) -> [UInt8] {
        [flags, type] + [headerLength, size, start, offset].flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    @Test func readsWhatTheKernelWrites() {
        let tso = Self.header(flags: 1, type: 0x81, headerLength: 66, size: 1448, start: 34, offset: 16)
        let offload = tso.withUnsafeBytes { VirtioNetHeader.load(from: $0.baseAddress!) }
        #expect(offload?.segmentation == .tcpIPv4 && offload?.segmentSize == 1448)
        #expect(offload?.checksumStart == 34 && offload?.checksumOffset == 16)
        #expect(offload?.flags == [.checksumPartial, .explicitCongestion])
        let plain = Self.header(flags: 0, type: 0, headerLength: 0, size: 0, start: 0, offset: 0)
        #expect(plain.withUnsafeBytes { VirtioNetHeader.load(from: $0.baseAddress!) }?.isNone == true)
        // UDP fragmentation offload (type 3) and GSO without a segment size are refused.
        for refused in [
            Self.header(flags: 1, type: 3, headerLength: 42, size: 1472, start: 34, offset: 6),
            Self.header(flags: 1, type: 1, headerLength: 54, size: 0, start: 34, offset: 16),
        ] {
            #expect(refused.withUnsafeBytes { VirtioNetHeader.load(from: $0.baseAddress!) } == nil)
        }
    }

    /// Parse a frame with `offload`, then check the offload: the drop reason, and the frame.
    static func normalize(_ frame: MemoryPort.Frame, _ offload: PacketOffload) -> (DropReason, [UInt8], PacketMetadata) {
        var bytes = frame.bytes
        var metadata = PacketMetadata(id: 0, dataOffset: 0, length: UInt16(bytes.count), inPort: 0, timestamp: 0)
        metadata.offload = offload
        let reason = bytes.withUnsafeMutableBytes { buffer in
            let parsed = PacketParser.parse(buffer.baseAddress!, metadata: &metadata)
            return parsed == .none ? SoftwareOffload.normalize(buffer.baseAddress!, metadata: &metadata) : parsed
        }
        return (reason, bytes, metadata)
    }

    @Test func anOffloadThatContradictsThePacketIsDropped() {
        let udp = TestFrame.ipv4(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 0, 0, 2), ipProtocol: IPProtocol.udp, destinationPort: 53)
        let claimsTCP = PacketOffload(segmentation: .tcpIPv4, segmentSize: 1448, checksumStart: 34, checksumOffset: 16, flags: .checksumPartial)
        #expect(Self.normalize(udp, claimsTCP).0 == .badOffload)
        let outside = PacketOffload(segmentation: .none, segmentSize: 0, checksumStart: 40, checksumOffset: 100, flags: .checksumPartial)
        #expect(Self.normalize(udp, outside).0 == .badOffload)
    }

    /// A partial checksum somewhere the platform does not track (here ICMP, as a sender with
    /// NETIF_F_HW_CSUM may leave it) is finished at once, RFC 1071 over the ICMP message.
    @Test func aPartialChecksumOutsideTCPAndUDPIsFinishedAtParse() {
        let echo = TestFrame.ipv4(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 0, 0, 2), ipProtocol: IPProtocol.icmp)
        var partial = echo.bytes
        partial[36] = 0
        partial[37] = 0  // what a sender leaves when the device sums: 0 (ICMP has no pseudo-header)
        let offload = PacketOffload(segmentation: .none, segmentSize: 0, checksumStart: 34, checksumOffset: 2, flags: .checksumPartial)
        let (reason, bytes, metadata) = Self.normalize(MemoryPort.Frame(bytes: partial, timestamp: 0), offload)
        #expect(reason == .none)
        #expect(bytes == echo.bytes, "the checksum is the one computed from scratch")
        #expect(metadata.offload.isNone)
    }
}
