import NFVPacket
import NFVTestSupport
import Testing

/// `PacketParser.parse` has a fast path for common IPv4 frames; it must describe every frame
/// exactly as `parseGeneral` does.
@Suite struct FastPathTests {
    static func both(_ bytes: [UInt8]) -> (fast: (DropReason, PacketMetadata), general: (DropReason, PacketMetadata)) {
        let buffer = GuardedBuffer(bytes)
        let blank = PacketMetadata(id: 0, dataOffset: 0, length: UInt16(bytes.count), inPort: 0, timestamp: 0)
        var fast = blank
        var general = blank
        let fastReason = PacketParser.parse(buffer.start, metadata: &fast)
        let generalReason = PacketParser.parseGeneral(buffer.start, metadata: &general)
        return ((fastReason, fast), (generalReason, general))
    }

    static func same(_ a: (DropReason, PacketMetadata), _ b: (DropReason, PacketMetadata)) -> Bool {
        guard a.0 == b.0 else { return false }
        guard a.0 == .none else { return true }  // a dropped frame's offsets are not used
        return a.1.flags == b.1.flags && a.1.l3Offset == b.1.l3Offset && a.1.l4Offset == b.1.l4Offset
            && a.1.etherType == b.1.etherType && a.1.ipProtocol == b.1.ipProtocol
            && (!a.1.flags.contains(.vlanTagged) || a.1.vlanID == b.1.vlanID)
    }

    @Test func agreesOnEveryFixtureAndEveryTruncation() throws {
        for testCase in try HeaderCase.all() {
            for length in 0...testCase.bytes.count {
                let result = Self.both(Array(testCase.bytes.prefix(length)))
                #expect(Self.same(result.fast, result.general), "\(testCase.name) cut to \(length)")
            }
        }
    }

    /// Random corruptions of the IPv4 header fields the fast path reads (version/IHL, total
    /// length, fragment field, protocol, TCP data offset, UDP length) and of random bytes.
    @Test func agreesOnCorruptedFrames() throws {
        let cases = try HeaderCase.all()
        var generator = SystemRandomNumberGenerator()
        let hotOffsets = [12, 13, 14, 16, 17, 20, 21, 23, 38, 39, 46]
        var compared = 0
        for _ in 0..<20_000 {
            var bytes = cases.randomElement(using: &generator)!.bytes
            guard !bytes.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let offset =
                    Bool.random(using: &generator)
                    ? hotOffsets.randomElement(using: &generator)! : Int.random(in: 0..<bytes.count, using: &generator)
                if offset < bytes.count { bytes[offset] = UInt8.random(in: 0...255, using: &generator) }
            }
            let result = Self.both(bytes)
            #expect(Self.same(result.fast, result.general), "\(bytes)")
            compared += 1
        }
        #expect(compared > 19_000)
    }
}
