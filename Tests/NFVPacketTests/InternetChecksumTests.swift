import NFVPacket
import Testing

/// Checksums against the worked examples of RFC 1071 and RFC 1624, and the incremental update
/// against a full recomputation over many random headers.
@Suite struct InternetChecksumTests {
    @Test func rfc1071Example() {
        // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        let sum = bytes.withUnsafeBytes { InternetChecksum.sum($0.baseAddress!, byteCount: $0.count) }
        #expect(sum == 0xDDF2)
        let checksum = bytes.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, byteCount: $0.count) }
        #expect(checksum == ~UInt16(0xDDF2))
    }

    @Test func oddLengthPadsWithZeroOnTheRight() {
        // 0x0102 + 0x0300 = 0x0402
        let bytes: [UInt8] = [0x01, 0x02, 0x03]
        #expect(bytes.withUnsafeBytes { InternetChecksum.sum($0.baseAddress!, byteCount: 3) } == 0x0402)
    }

    @Test func lengthsAroundTheWordSizesAgreeWithAPlainSixteenBitSum() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...67 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var reference: UInt32 = 0
            var index = 0
            while index < length {
                let high = UInt32(bytes[index]) << 8
                let low = index + 1 < length ? UInt32(bytes[index + 1]) : 0
                reference += high | low
                index += 2
            }
            while reference > 0xFFFF { reference = (reference & 0xFFFF) + (reference >> 16) }
            let sum = bytes.withUnsafeBytes { InternetChecksum.sum($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, byteCount: length) }
            #expect(
                sum == UInt16(reference) || (sum == 0xFFFF && reference == 0) || (sum == 0 && reference == 0xFFFF),
                "length \(length)")
        }
    }

    @Test func rfc1624Section4Example() {
        // RFC 1624 section 4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000
        // (RFC 1141's equation gives the wrong 0xFFFF).
        #expect(InternetChecksum.updated(0xDD2F, old: UInt16(0x5555), new: UInt16(0x3285)) == 0x0000)
    }

    @Test func incrementalUpdateMatchesFullRecomputation() {
        var generator = SystemRandomNumberGenerator()
        var header = [UInt8](repeating: 0, count: 20)
        for _ in 0..<5_000 {
            for index in 0..<20 { header[index] = UInt8.random(in: 0...255, using: &generator) }
            header[0] = 0x45
            header.withUnsafeMutableBytes { buffer in
                let ip = IPv4Header(buffer.baseAddress!)
                ip.updateChecksum()
                if ip.ttl > 1 {
                    ip.decrementTTL()
                    #expect(ip.isChecksumValid)
                    let incremental = ip.checksum
                    ip.updateChecksum()
                    #expect(incremental == ip.checksum)
                }
                let old = ip.source
                let new = IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &generator))
                ip.source = new
                ip.checksum = InternetChecksum.updated(ip.checksum, old: old.rawValue, new: new.rawValue)
                #expect(ip.isChecksumValid)
            }
        }
    }
}
