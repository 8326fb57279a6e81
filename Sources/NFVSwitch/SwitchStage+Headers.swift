import NFVPacket

/// Header rewrites of flow actions: VLAN tags pushed and popped in place (offsets moved with
/// them), IPv4 addresses and TCP/UDP ports set with their checksums patched (`EndpointRewrite`);
/// the lookup key follows each rewrite so later tables match the packet as it now is.
extension SwitchStage {
    func pushTag(_ entry: inout PacketMetadata, _ frame: inout UnsafeMutableRawPointer, tpid: UInt16) {
        guard entry.dataOffset >= 4 else { return }
        let moved = frame - 4
        moved.copyMemory(from: frame, byteCount: 12)
        moved.storeNetworkUInt16(tpid, at: 12)
        moved.storeNetworkUInt16(0, at: 14)
        entry.dataOffset -= 4
        entry.length += 4
        entry.l3Offset &+= 4
        entry.l4Offset &+= 4
        entry.flags.insert(.vlanTagged)
        frame = moved
    }

    func popTag(_ entry: inout PacketMetadata, _ frame: inout UnsafeMutableRawPointer) {
        let moved = frame + 4
        (frame + 4).copyMemory(from: UnsafeRawPointer(frame), byteCount: 12)
        entry.dataOffset += 4
        entry.length -= 4
        entry.l3Offset &-= 4
        entry.l4Offset &-= 4
        entry.flags.remove(.vlanTagged)
        frame = moved
    }

    func rewriteIPv4(_ frame: UnsafeMutableRawPointer, _ entry: PacketMetadata, source: Bool, _ address: UInt32, _ key: inout SwitchKey) {
        guard entry.flags.contains(.ipv4) else { return }
        EndpointRewrite.rewriteAddress(source ? .source : .destination, of: frame, packet: entry, address: address)
        let mapped = IPv6Address(ipv4Mapped: IPv4Address(rawValue: address))
        if source { key.ipSource = mapped } else { key.ipDestination = mapped }
    }

    func rewritePort(_ frame: UnsafeMutableRawPointer, _ entry: PacketMetadata, source: Bool, _ port: UInt16, _ key: inout SwitchKey) {
        guard entry.flags.contains(.hasL4), entry.ipProtocol == IPProtocol.tcp || entry.ipProtocol == IPProtocol.udp else { return }
        EndpointRewrite.rewritePort(source ? .source : .destination, of: frame, packet: entry, port: port)
        if source { key.transportSource = port } else { key.transportDestination = port }
    }
}
