import NFVPacket

/// What a flow does with a packet, in the order listed (an empty list drops it).
public indirect enum FlowAction: Hashable, Sendable {
    /// Send out of a switch port.
    case output(UInt16)
    /// L2 switching: MAC learning per VLAN, forward to the learnt port or flood.
    case normal
    /// Out of every port but the one it came in on (and only ports of its VLAN).
    case flood
    /// Back out of the port it came in on (OpenFlow's IN_PORT).
    case inPort
    /// To the controller side: counted, and kept for inspection (`punt`).
    case controller
    case setEthSrc(UInt64)
    case setEthDst(UInt64)
    /// Rewrite (or add, if untagged) the VLAN ID.
    case setVLANVID(UInt16)
    case pushVLAN(UInt16)
    case popVLAN
    case setIPv4Source(IPv4Address)
    case setIPv4Destination(IPv4Address)
    case setTransportSource(UInt16)
    case setTransportDestination(UInt16)
    /// Decrement the IPv4 TTL or IPv6 hop limit (a packet that would reach 0 is dropped).
    case decrementTTL
    /// OpenFlow's write_actions: put the action into the packet's action set (one per kind;
    /// every output kind shares one place), which runs when the pipeline ends, in the spec's
    /// order: pop, push, TTL, set-fields, group, output (output only without a group).
    case write(FlowAction)
    /// OpenFlow's clear_actions: empty the packet's action set.
    case clearActions
    /// OpenFlow's write_metadata: the bits of `mask` in the packet's metadata become those of
    /// `value` (later tables match on it).
    case writeMetadata(value: UInt64, mask: UInt64)
    /// Continue lookup in a later table.
    case gotoTable(UInt8)
    /// Send through a service path (a named sequence of stages) of the chain.
    case chain(String)
    /// Through a group of the switch's group table (`GroupEntry`).
    case group(UInt32)
    /// Through a meter (`MeterEntry`): it may drop the packet or remark its DSCP.
    case meter(UInt32)
}
