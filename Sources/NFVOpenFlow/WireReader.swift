/// Big-endian reads over a message's bytes. Reads past the end are a programming error: a
/// caller checks `need` first (the codec turns a short body into OFPBRC_BAD_LEN).
struct WireReader {
    struct Short: Error {}

    private let bytes: ArraySlice<UInt8>
    private var offset: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.offset = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - offset }

    func need(_ count: Int) throws(Short) { if remaining < count { throw Short() } }

    mutating func skip(_ count: Int) throws(Short) {
        try need(count)
        offset += count
    }

    mutating func u8() -> UInt8 {
        guard offset < bytes.endIndex else { return 0 }  // unchecked reads past the end give zeros and stay at the end
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() -> UInt16 { UInt16(u8()) << 8 | UInt16(u8()) }
    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }
    mutating func u64() -> UInt64 { UInt64(u32()) << 32 | UInt64(u32()) }

    /// The next `count` bytes as a reader of their own.
    mutating func take(_ count: Int) throws(Short) -> WireReader {
        try need(count)
        defer { offset += count }
        return WireReader(bytes[offset..<(offset + count)])
    }

    /// A NUL-padded text field of `count` bytes (port, table and description names). The last
    /// byte is the terminator the spec requires, so at most `count - 1` bytes are text. Bytes
    /// that are not UTF-8 read as "?", one for one, so the text writes back within the field.
    mutating func fixedString(_ count: Int) throws(Short) -> String {
        var field = try take(count)
        let bytes = field.rest()
        let text = bytes.prefix(count - 1).prefix { $0 != 0 }
        if let valid = String(validating: text, as: UTF8.self) { return valid }
        return String(decoding: text.map { $0 < 0x80 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// A hardware address and the two bytes of padding after it (`ofp_port`, `ofp_port_mod`).
    mutating func paddedHardwareAddress() throws(Short) -> [UInt8] {
        try need(8)
        defer { offset += 2 }
        return (0..<6).map { _ in u8() }
    }

    /// Everything left, leaving the reader as it is.
    func restCopy() -> [UInt8] { Array(bytes[offset...]) }

    /// Everything left.
    mutating func rest() -> [UInt8] {
        defer { offset = bytes.endIndex }
        return Array(bytes[offset...])
    }
}

/// Big-endian writes into a growing buffer.
struct WireWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }
    mutating func u32(_ value: UInt32) {
        u16(UInt16(value >> 16))
        u16(UInt16(value & 0xFFFF))
    }
    mutating func u64(_ value: UInt64) {
        u32(UInt32(value >> 32))
        u32(UInt32(value & 0xFFFF_FFFF))
    }
    mutating func bytes(_ more: [UInt8]) { bytes += more }
    mutating func zeros(_ count: Int) { bytes += [UInt8](repeating: 0, count: count) }
    /// A hardware address (cut or zero-filled to 6 bytes) and two bytes of padding.
    mutating func paddedHardwareAddress(_ address: [UInt8]) {
        bytes += Array(address.prefix(6)) + [UInt8](repeating: 0, count: 8 - min(address.count, 6))
    }
    /// `text` in a NUL-padded field of `count` bytes, cut to `count - 1` bytes at a character
    /// boundary so the field keeps its terminator and decodes to a prefix of `text`.
    mutating func fixedString(_ text: String, count: Int) {
        var kept: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if kept.count + encoded.count > count - 1 { break }
            kept += encoded
        }
        bytes += kept + [UInt8](repeating: 0, count: count - kept.count)
    }
    /// Zeros up to the next multiple of `alignment` (of the whole message).
    mutating func pad(to alignment: Int) { bytes += [UInt8](repeating: 0, count: (alignment - bytes.count % alignment) % alignment) }
    mutating func setU16(at index: Int, _ value: UInt16) {
        bytes[index] = UInt8(value >> 8)
        bytes[index + 1] = UInt8(value & 0xFF)
    }
}
