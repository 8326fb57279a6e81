#if canImport(Glibc)
    import Glibc
#endif

/// Bytes placed so that they end exactly where an inaccessible page begins: any read past the
/// last byte faults at once. Used to prove that parsers never read beyond the frame.
public final class GuardedBuffer {
    private let mapping: UnsafeMutableRawPointer
    private let mappingByteCount: Int
    /// The first byte of the copied data.
    public let start: UnsafeMutableRawPointer
    /// How many bytes were copied.
    public let count: Int

    /// Copies `bytes` to the end of a readable page that is followed by a PROT_NONE page.
    public init(_ bytes: [UInt8]) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = (bytes.count + pageSize - 1) / pageSize + 1
        mappingByteCount = (dataPages + 1) * pageSize
        guard let raw = mmap(nil, mappingByteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            raw != MAP_FAILED
        else { fatalError("mmap failed") }
        mapping = raw
        let guardPage = raw + dataPages * pageSize
        precondition(mprotect(guardPage, pageSize, PROT_NONE) == 0, "mprotect failed")
        start = guardPage - bytes.count
        count = bytes.count
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress, !bytes.isEmpty { start.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    deinit { munmap(mapping, mappingByteCount) }
}
