// Big-endian (network byte order) loads and stores on raw packet memory. Every header view
// goes through these; they are unaligned-safe and compile to a load plus a byte swap.

extension UnsafeMutableRawPointer {
    /// Reads a byte at `offset`.
    @inlinable @inline(__always)
    public func loadByte(at offset: Int) -> UInt8 {
        load(fromByteOffset: offset, as: UInt8.self)
    }

    /// Reads a big-endian 16-bit field at `offset`.
    @inlinable @inline(__always)
    public func loadNetworkUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// Reads a big-endian 32-bit field at `offset`.
    @inlinable @inline(__always)
    public func loadNetworkUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Reads a big-endian 64-bit field at `offset`.
    @inlinable @inline(__always)
    public func loadNetworkUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Writes a byte at `offset`.
    @inlinable @inline(__always)
    public func storeByte(_ value: UInt8, at offset: Int) {
        storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }

    /// Writes `value` as a big-endian 16-bit field at `offset`.
    @inlinable @inline(__always)
    public func storeNetworkUInt16(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// Writes `value` as a big-endian 32-bit field at `offset`.
    @inlinable @inline(__always)
    public func storeNetworkUInt32(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Writes `value` as a big-endian 64-bit field at `offset`.
    @inlinable @inline(__always)
    public func storeNetworkUInt64(_ value: UInt64, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
}
