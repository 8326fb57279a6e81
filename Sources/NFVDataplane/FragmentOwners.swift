import NFVPacket
import Synchronization

/// Which worker took the first fragment of an IPv4 datagram, shared by every worker's steering,
/// so that the later fragments (which carry no ports, only the addresses, protocol and IP
/// identification) follow it to the worker that holds its flow's state: a NAT translates a
/// fragmented datagram, and a firewall judges one, only where all its fragments meet.
///
/// A fixed table of 64-bit atomics indexed by the keyed hash of (source, destination,
/// identification, protocol); each entry holds the hash's upper bits as a tag and the owner.
/// A newer datagram that lands in the same slot overwrites it (the table forgets, it never
/// grows); a later fragment whose first fragment is unknown (lost, overwritten, or not yet
/// seen) is steered by its addresses alone, as without the table.
public final class FragmentOwners: @unchecked Sendable {
    let slots: UnsafeMutablePointer<Atomic<UInt64>>
    let mask: Int
    let hasher: TableHash

    /// A table of `capacity` entries (rounded up to a power of two).
    public init(capacity: Int = 4096, hasher: TableHash = .process) {
        var size = 1
        while size < capacity { size <<= 1 }
        slots = .allocate(capacity: size)
        for index in 0..<size { (slots + index).initialize(to: Atomic(0)) }
        mask = size - 1
        self.hasher = hasher
    }

    deinit {
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
    }

    /// The datagram's hash: the slot from its low bits, the tag from its high ones.
    @inline(__always)
    func hash(source: UInt32, destination: UInt32, identification: UInt16, ipProtocol: UInt8) -> UInt64 {
        hasher.hash(UInt64(source) << 32 | UInt64(destination), UInt64(identification) << 8 | UInt64(ipProtocol))
    }

    /// Records that worker `owner` took the first fragment of the datagram.
    public func record(source: UInt32, destination: UInt32, identification: UInt16, ipProtocol: UInt8, owner: Int) {
        let value = hash(source: source, destination: destination, identification: identification, ipProtocol: ipProtocol)
        slots[Int(truncatingIfNeeded: value) & mask].store(value & ~0xFF | UInt64(owner & 0xFF) &+ 1, ordering: .relaxed)
    }

    /// The worker that took the datagram's first fragment, if the table still knows it.
    public func owner(source: UInt32, destination: UInt32, identification: UInt16, ipProtocol: UInt8) -> Int? {
        let value = hash(source: source, destination: destination, identification: identification, ipProtocol: ipProtocol)
        let entry = slots[Int(truncatingIfNeeded: value) & mask].load(ordering: .relaxed)
        guard entry & 0xFF != 0, entry & ~0xFF == value & ~0xFF else { return nil }
        return Int(entry & 0xFF) - 1
    }
}
