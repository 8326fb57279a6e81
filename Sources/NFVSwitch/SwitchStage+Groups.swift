import NFVPacket

/// Group actions (which bucket a packet takes, an ALL group's copies), header rewrites shared by
/// flows and buckets, and a meter's DSCP remark.
extension SwitchStage {
    /// `chooseBucket`'s answer for an ALL group: every bucket, each on its own copy.
    static let everyBucket = -2

    /// The bucket (an index into `tables.buckets`) group `group` gives this packet, `everyBucket`
    /// for an ALL group, or -1 when none can take it (unknown group, no live bucket, weights
    /// all 0). Counts the packet on the group.
    @inline(__always)
    func chooseBucket(_ group: Int, frame: UnsafeMutableRawPointer, entry: PacketMetadata, tables: Tables) -> Int {
        guard group >= 0, group < tables.groups.count else { return -1 }
        let compiled = tables.groups[group]
        tables.groupCounters[group].count(bytes: UInt64(entry.length))
        let first = compiled.firstBucket
        let end = first &+ compiled.bucketCount
        switch compiled.kind {
        case .all: return Self.everyBucket
        case .indirect: return compiled.bucketCount > 0 ? first : -1
        case .fastFailover:
            for bucket in first..<end where isLive(tables.buckets[bucket]) { return bucket }
            return -1
        case .select:
            // Without watched ports every bucket is live: the weights' sum is known.
            var live = compiled.totalWeight
            if compiled.watchesPorts {
                live = 0
                for bucket in first..<end where isLive(tables.buckets[bucket]) { live &+= tables.buckets[bucket].weight }
            }
            guard live > 0 else { return -1 }
            // Both directions of a connection hash alike, so they take the same bucket.
            var pick = FlowHash.symmetric(frame: frame, metadata: entry, hasher: hasher) % live
            for bucket in first..<end where isLive(tables.buckets[bucket]) {
                let weight = tables.buckets[bucket].weight
                if pick < weight { return bucket }
                pick &-= weight
            }
            return -1
        }
    }

    /// The chain port of switch slot `slot` (nil: not a switch port).
    func inPortNumber(_ slot: Int) -> UInt16? { slot >= 0 ? portNumbers[slot] : nil }

    @inline(__always)
    func isLive(_ bucket: CompiledBucket) -> Bool {
        bucket.watch < 0 || liveness.isLive(UInt16(truncatingIfNeeded: bucket.watch))
    }

    /// An ALL group: each bucket's outputs (ports and floods), tagged with the bucket so its
    /// rewrites apply to that copy only.
    func allBuckets(_ group: Int, inSlot: Int, vlan: UInt16, length: UInt64, tables: Tables, count: inout Int) {
        let compiled = tables.groups[group]
        for bucket in compiled.firstBucket..<(compiled.firstBucket &+ compiled.bucketCount) {
            tables.groupCounters[group].count(bucket: bucket &- compiled.firstBucket, bytes: length)
            let tag = UInt32(truncatingIfNeeded: bucket &+ 1) << 16
            for position in tables.buckets[bucket].start..<tables.buckets[bucket].end {
                let action = tables.actions[position]
                switch action.kind {
                case .output:
                    if count < outputCapacity {
                        outputs[count] = UInt32(truncatingIfNeeded: action.operand) & 0xFFFF | tag
                        count &+= 1
                    }
                case .flood: flood(inSlot: inSlot, vlan: vlan, count: &count, tag: tag)
                case .inPort:
                    if count < outputCapacity, let port = inPortNumber(inSlot) {
                        outputs[count] = UInt32(port) | tag
                        count &+= 1
                    }
                default: break
                }
            }
        }
    }

    /// Runs the rewrites of ALL-group bucket `bucket` on one copy; the reason to drop the copy
    /// (`.none`: keep it).
    func applyBucket(
        _ bucket: Int, _ entry: inout PacketMetadata, _ frame: inout UnsafeMutableRawPointer, _ key: inout SwitchKey,
        _ vlan: inout UInt16, tables: Tables
    ) -> DropReason {
        for position in tables.buckets[bucket].start..<tables.buckets[bucket].end {
            let refusal = rewrite(tables.actions[position], &entry, &frame, &key, &vlan)
            guard refusal == .none else { return refusal }
        }
        return .none
    }

    /// A header rewrite (MACs, VLAN, IPv4 addresses, transport ports, TTL); other actions are
    /// left alone. Returns why the packet must go instead (`.none`: it goes on):
    /// `badIPv4Checksum` when an IPv4 address rewrite or a TTL decrement meets a header whose
    /// checksum is wrong (RFC 1812 5.2.2: an incremental update would make a corrupt header look
    /// valid), `ttlExpired` when the decrement reaches 0.
    @inline(__always)
    func rewrite(
        _ action: CompiledAction, _ entry: inout PacketMetadata, _ frame: inout UnsafeMutableRawPointer, _ key: inout SwitchKey,
        _ vlan: inout UInt16
    ) -> DropReason {
        switch action.kind {
        case .setEthSrc:
            EthernetHeader(frame).source = MACAddress(rawValue: action.operand)
            key.ethSrc = action.operand
        case .setEthDst:
            EthernetHeader(frame).destination = MACAddress(rawValue: action.operand)
            key.ethDst = action.operand
        case .setVLANVID:
            let vid = UInt16(truncatingIfNeeded: action.operand)
            if key.vlanTCI == 0 { pushTag(&entry, &frame, tpid: EtherType.vlan) }
            let tci = frame.loadNetworkUInt16(at: 14) & 0xF000 | vid & 0x0FFF
            frame.storeNetworkUInt16(tci, at: 14)
            key.vlanTCI = tci & 0xEFFF | SwitchKey.vlanPresent
            vlan = vid
        case .pushVLAN:
            pushTag(&entry, &frame, tpid: UInt16(truncatingIfNeeded: action.operand))
            frame.storeNetworkUInt16(vlan & 0x0FFF, at: 14)
            key.vlanTCI = vlan & 0x0FFF | SwitchKey.vlanPresent
        case .popVLAN:
            if key.vlanTCI != 0 { popTag(&entry, &frame) }
            key.vlanTCI = 0
        case .setIPv4Source, .setIPv4Destination:
            if entry.flags.contains(.ipv4) && !entry.hasValidIPv4HeaderChecksum(frame) { return .badIPv4Checksum }
            rewriteIPv4(frame, entry, source: action.kind == .setIPv4Source, UInt32(truncatingIfNeeded: action.operand), &key)
        case .setTransportSource: rewritePort(frame, entry, source: true, UInt16(truncatingIfNeeded: action.operand), &key)
        case .setTransportDestination: rewritePort(frame, entry, source: false, UInt16(truncatingIfNeeded: action.operand), &key)
        case .decrementTTL: return decrementTTL(frame, &entry)
        default: break
        }
        return .none
    }

    /// OpenFlow's DEC_NW_TTL: the IPv4 TTL (checksum patched, RFC 1624) or the IPv6 hop limit
    /// goes down by one; a packet whose TTL would reach 0 is dropped (`ttl_expired`). Other
    /// packets pass unchanged.
    func decrementTTL(_ frame: UnsafeMutableRawPointer, _ entry: inout PacketMetadata) -> DropReason {
        let l3 = frame + Int(entry.l3Offset)
        if entry.flags.contains(.ipv4) {
            guard entry.hasValidIPv4HeaderChecksum(frame) else { return .badIPv4Checksum }
            let header = IPv4Header(l3)
            guard header.ttl > 1 else { return .ttlExpired }
            header.decrementTTL()
        } else if entry.flags.contains(.ipv6) {
            let header = IPv6Header(l3)
            guard header.hopLimit > 1 else { return .hopLimitExpired }
            header.hopLimit &-= 1
        }
        return .none
    }

    /// A meter's DSCP_REMARK: an assured-forwarding codepoint (RFC 2597: class 1 to 4, drop
    /// precedence 1 to 3) gets its drop precedence raised by `level`, at most to 3, with the
    /// IPv4 checksum patched (RFC 1624); other codepoints and non-IPv4 packets stay as they are.
    func remarkDSCP(_ frame: UnsafeMutableRawPointer, _ entry: PacketMetadata, raisingBy level: UInt8) {
        guard entry.flags.contains(.ipv4) else { return }
        let header = IPv4Header(frame + Int(entry.l3Offset))
        let dscp = header.dscp
        let afClass = dscp >> 3
        let precedence = (dscp >> 1) & 3
        guard (1...4).contains(afClass), dscp & 1 == 0, precedence >= 1 else { return }
        header.setDSCP(afClass << 3 | UInt8(min(3, Int(precedence) + Int(level))) << 1)
    }
}
