import NFVPacket
import Testing

/// Compaction moves metadata by the 40 bytes; a field that grew it would cost every batch.
@Suite struct MetadataLayoutTests {
    @Test func metadataStaysFortyBytes() {
        #expect(MemoryLayout<PacketMetadata>.stride == 40)
    }
}
