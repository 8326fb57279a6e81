/// Why a packet was dropped. Every drop in the platform names one of these, and every stage
/// counts drops per reason, so a user can always tell where packets went.
///
/// The list is closed (an enum) so counters are a flat array indexed by the raw value; VNF
/// modules add their reasons here as they arrive.
@frozen
public enum DropReason: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    /// Not dropped.
    case none = 0

    // Parsing (NFVPacket.PacketParser)
    /// Shorter than an Ethernet header (14 bytes).
    case truncatedEthernet
    /// A VLAN tag announced by the EtherType is cut off.
    case truncatedVLAN
    /// More than two stacked VLAN tags.
    case vlanStackTooDeep
    /// An ARP packet shorter than its declared address lengths.
    case truncatedARP
    /// Shorter than an IPv4 header, or than the header length IHL announces.
    case truncatedIPv4
    /// The IP version nibble does not match the EtherType.
    case badIPVersion
    /// IHL below 5 (a 20-byte header is the minimum).
    case badIPv4HeaderLength
    /// The IPv4 total length runs past the end of the frame.
    case ipv4TotalLengthBeyondFrame
    /// The IPv4 total length is smaller than the header.
    case ipv4TotalLengthBelowHeader
    /// Shorter than the fixed 40-byte IPv6 header.
    case truncatedIPv6
    /// The IPv6 payload length runs past the end of the frame.
    case ipv6PayloadBeyondFrame
    /// An IPv6 extension header runs past the end of the payload.
    case truncatedIPv6ExtensionHeader
    /// More IPv6 extension headers than the parser walks (8).
    case ipv6ExtensionChainTooLong
    /// Shorter than a TCP header or than its data offset.
    case truncatedTCP
    /// TCP data offset below 5.
    case badTCPDataOffset
    /// Shorter than a UDP header.
    case truncatedUDP
    /// UDP length below 8 or beyond the IP payload.
    case badUDPLength
    /// Shorter than an ICMP header (8 bytes).
    case truncatedICMP
    /// Shorter than an ICMPv6 header (4 bytes).
    case truncatedICMPv6
    /// The sender's offload description (virtio-net header) does not fit the packet: a
    /// checksum position outside the frame, a super-frame that is not TCP or UDP of the kind
    /// it claims, a GSO type the platform does not take (UFO), a segment size of 0.
    case badOffload

    // Forwarding basics
    /// IPv4 TTL was 0 or 1 on arrival at a hop that decrements it.
    case ttlExpired
    /// IPv6 hop limit was 0 or 1 on arrival at a hop that decrements it.
    case hopLimitExpired
    /// The stage needs parsed headers but the packet was not parsed.
    case notParsed

    // Connection tracking and firewall
    /// The packet does not fit the tracked state of its connection (e.g. an ACK without a
    /// connection, a reply before the SYN was answered).
    case conntrackInvalid
    /// A new connection could not be tracked: the table is full and nothing could be evicted.
    case conntrackTableFull
    /// A firewall rule with action drop matched.
    case firewallRule
    /// No firewall rule matched and the default action is drop.
    case firewallDefault
    /// A firewall rule with action reject matched (the sender got a RST or ICMP unreachable).
    case firewallReject
    /// A later IPv4 fragment that waits for its datagram's first fragment found no room to wait.
    case firewallFragment

    // Router
    /// The IPv4 header checksum is wrong (RFC 1812 5.2.2).
    case badIPv4Checksum
    /// The source address can never be a real sender (RFC 1812 5.3.7): 0/8, 127/8, multicast,
    /// class E, limited broadcast; IPv6 unspecified, loopback or multicast.
    case martianSource
    /// Multicast or broadcast destination: not routed.
    case notRoutedMulticast
    /// No route to the destination (answered with ICMP destination unreachable).
    case noRoute
    /// Larger than the egress MTU with DF set, or IPv6 (answered with fragmentation needed /
    /// packet too big).
    case needsFragmentation
    /// Larger than the egress MTU without DF: this router does not fragment.
    case fragmentationNotSupported
    /// The next hop did not answer ARP / neighbour solicitation, or its queue was full.
    case neighborUnresolved
    /// Addressed to the router itself and absorbed by it: ARP, neighbour discovery, echo
    /// requests it answered, or traffic for a service it does not run.
    case consumed
    /// Neither IP nor ARP: a router does not forward it.
    case unsupportedEtherType
    /// Arrived on a port where the router has no interface.
    case noInterface
    /// Unicast to a MAC address that is not the router's.
    case wrongDestinationMAC

    // NAT
    /// No port (or mapping slot) left for a new NAT mapping.
    case natPortsExhausted
    /// Inbound to a NAT address without a mapping, or refused by its filtering.
    case natNoMapping
    /// A non-first fragment from or to a translated host: its ports are unknown.
    case natFragment
    /// Neither TCP, UDP nor ICMP, from a host the NAT translates.
    case natUnsupportedProtocol

    // Load balancer
    /// A new flow to a VIP found no backend up and no fallback.
    case lbNoBackend
    /// A new flow could not be tracked: the connection table is full.
    case lbTableFull

    // Ports
    /// A received frame is larger than a pool slot can hold.
    case frameTooLarge
    /// No free buffer in the packet pool.
    case poolExhausted
    /// A frame to transmit is longer than the port's MTU allows (never written truncated).
    case frameAboveMTU
    /// The kernel had no room for a transmitted frame (EAGAIN or ENOBUFS on a TAP write).
    case transmitQueueFull
    /// The port's device went away (a deleted TAP): frames for it are dropped until it is back.
    case portDown
    /// A worker could not hand a frame to the worker that owns its flow: that worker's
    /// hand-off ring was full (it is behind).
    case handoffRingFull
    /// A super-frame could not be segmented for a port that does not take it (a segment
    /// would not fit the port's MTU and the packet is not TCP, whose segments can be cut
    /// smaller).
    case segmentationFailed

    // Switch
    /// No flow of the switch table matched (OpenFlow's table miss: drop).
    case switchTableMiss
    /// A flow's actions sent the packet nowhere (actions=drop).
    case switchFlowDrop
    /// L2 switching would send the frame back out of the port it came in on.
    case switchSamePort
    /// A tagged frame on an access port, a VLAN a trunk does not carry, or an untagged frame on
    /// a trunk without a native VLAN.
    case switchVLANNotAllowed
    /// A flow sends to a service path the switch does not have.
    case switchPathUnknown
    /// A group could not take the packet: no such group, no live bucket (fast failover and
    /// select follow their watched ports), or only buckets of weight 0.
    case switchGroupNoBucket
    /// A meter's DROP band: the packet exceeded the meter's rate.
    case meterDrop
    // QoS
    /// A policer's action for the packet's colour (red, usually) is drop.
    case policerDrop
    /// A port's egress shaper had its queue full: the packet arrived faster than the port's
    /// rate for longer than the queue could absorb.
    case shaperQueueFull
    /// Not a loss: every output of the packet went out as a copy, made before a later action
    /// rewrote it (the rewritten original had nowhere left to go).
    case switchCopiesSent
    /// A container port (`attach: cni`) has no container attached: frames for it are dropped
    /// until a CNI ADD attaches one.
    case portDetached

    /// The reason's counter name, snake_case (`ttl_expired`).
    public var name: String {
        switch self {
        case .none: "none"
        case .truncatedEthernet: "truncated_ethernet"
        case .truncatedVLAN: "truncated_vlan"
        case .vlanStackTooDeep: "vlan_stack_too_deep"
        case .truncatedARP: "truncated_arp"
        case .truncatedIPv4: "truncated_ipv4"
        case .badIPVersion: "bad_ip_version"
        case .badIPv4HeaderLength: "bad_ipv4_header_length"
        case .ipv4TotalLengthBeyondFrame: "ipv4_total_length_beyond_frame"
        case .ipv4TotalLengthBelowHeader: "ipv4_total_length_below_header"
        case .truncatedIPv6: "truncated_ipv6"
        case .ipv6PayloadBeyondFrame: "ipv6_payload_beyond_frame"
        case .truncatedIPv6ExtensionHeader: "truncated_ipv6_extension_header"
        case .ipv6ExtensionChainTooLong: "ipv6_extension_chain_too_long"
        case .truncatedTCP: "truncated_tcp"
        case .badTCPDataOffset: "bad_tcp_data_offset"
        case .truncatedUDP: "truncated_udp"
        case .badUDPLength: "bad_udp_length"
        case .truncatedICMP: "truncated_icmp"
        case .truncatedICMPv6: "truncated_icmpv6"
        case .badOffload: "bad_offload"
        case .ttlExpired: "ttl_expired"
        case .hopLimitExpired: "hop_limit_expired"
        case .notParsed: "not_parsed"
        case .conntrackInvalid: "conntrack_invalid"
        case .conntrackTableFull: "conntrack_table_full"
        case .firewallRule: "firewall_rule"
        case .firewallDefault: "firewall_default"
        case .firewallReject: "firewall_reject"
        case .firewallFragment: "firewall_fragment"
        case .badIPv4Checksum: "bad_ipv4_checksum"
        case .martianSource: "martian_source"
        case .notRoutedMulticast: "not_routed_multicast"
        case .noRoute: "no_route"
        case .needsFragmentation: "needs_fragmentation"
        case .fragmentationNotSupported: "fragmentation_not_supported"
        case .neighborUnresolved: "neighbor_unresolved"
        case .consumed: "consumed"
        case .unsupportedEtherType: "unsupported_ethertype"
        case .noInterface: "no_interface"
        case .wrongDestinationMAC: "wrong_destination_mac"
        case .natPortsExhausted: "nat_ports_exhausted"
        case .natNoMapping: "nat_no_mapping"
        case .natFragment: "nat_fragment"
        case .natUnsupportedProtocol: "nat_unsupported_protocol"
        case .lbNoBackend: "lb_no_backend"
        case .lbTableFull: "lb_table_full"
        case .frameTooLarge: "frame_too_large"
        case .poolExhausted: "pool_exhausted"
        case .frameAboveMTU: "frame_above_mtu"
        case .transmitQueueFull: "transmit_queue_full"
        case .portDown: "port_down"
        case .handoffRingFull: "handoff_ring_full"
        case .segmentationFailed: "segmentation_failed"
        case .switchTableMiss: "switch_table_miss"
        case .switchFlowDrop: "switch_flow_drop"
        case .switchSamePort: "switch_same_port"
        case .switchVLANNotAllowed: "switch_vlan_not_allowed"
        case .switchPathUnknown: "switch_path_unknown"
        case .switchGroupNoBucket: "switch_group_no_bucket"
        case .meterDrop: "meter_drop"
        case .switchCopiesSent: "switch_copies_sent"
        case .policerDrop: "policer_drop"
        case .shaperQueueFull: "shaper_queue_full"
        case .portDetached: "port_detached"
        }
    }

    public var description: String { name }

    /// Looks a reason up by its counter name.
    public init?(name: String) {
        guard let match = DropReason.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}
