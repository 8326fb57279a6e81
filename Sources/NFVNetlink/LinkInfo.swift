import CNetlink

/// What the kernel reports about one network interface.
public struct LinkInfo: Sendable, Equatable {
    /// Interface index.
    public var index: Int32
    /// Interface name.
    public var name: String
    /// MTU in bytes.
    public var mtu: UInt32
    /// True when the administrative state is up (IFF_UP).
    public var isUp: Bool
    /// Link type as libnl names it (`veth`, `tun`), empty for plain devices.
    public var type: String
    /// Packet and byte counters.
    public var statistics: LinkStatistics
}

/// Interface counters, as `ip -s link` shows them.
public struct LinkStatistics: Sendable, Equatable {
    public var receivedPackets: UInt64
    public var receivedBytes: UInt64
    public var transmittedPackets: UInt64
    public var transmittedBytes: UInt64
    public var receiveDropped: UInt64
    public var transmitDropped: UInt64
}
