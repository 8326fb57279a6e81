import NFVPacket
import Testing

/// Compaction moves metadata by the 48 bytes (40 before offloads, `PacketOffload`, added 8); a
/// field that grew it further would cost every batch.
@Suite struct MetadataLayoutTests {
    @Test func metadataStaysFortyEightBytes() {
        #expect(MemoryLayout<PacketOffload>.size == 8)
        #expect(MemoryLayout<PacketMetadata>.stride == 48)
    }
}
