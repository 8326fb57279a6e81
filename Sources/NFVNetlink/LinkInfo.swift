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
    /// The link-layer address (`02:5a:...`), empty when it has none.
    public var macAddress: String = ""
    /// Packet and byte counters.
    public var statistics: LinkStatistics
}

/// Interface counters, as `ip -s link` shows them.
public struct LinkStatistics: Sendable, Equatable {
    /// Packets received.
    public var receivedPackets: UInt64
    /// Bytes received.
    public var receivedBytes: UInt64
    /// Packets transmitted.
    public var transmittedPackets: UInt64
    /// Bytes transmitted.
    public var transmittedBytes: UInt64
    /// Received packets the kernel dropped.
    public var receiveDropped: UInt64
    /// Packets the kernel dropped on transmit.
    public var transmitDropped: UInt64
}
