import NFVPacket

/// Where a switched packet goes: copies for several outputs, the controller (with the packet as
/// it was at the CONTROLLER action), the action set's order, and each port's VLAN tagging.
extension SwitchStage {
    /// Sends a copy of the packet as it is now to each of `outputs[range]` (with its ALL-group
    /// bucket's rewrites and its port's tagging).
    func emitCopies(
        _ range: Range<Int>, entry: PacketMetadata, frame: UnsafeMutableRawPointer, key: SwitchKey, vlan: UInt16, emit: PacketBatch,
        tables: Tables
    ) {
        for position in range {
            let output = outputs[position]
            let port = UInt16(truncatingIfNeeded: output)
            let result = emit.appendCopy(
                of: UnsafeRawBufferPointer(start: frame, count: Int(entry.length)), inPort: entry.inPort,
                timestamp: entry.timestamp)
            guard result == .appended else { continue }
            let copyIndex = emit.count - 1
            var copy = emit.metadata[copyIndex]
            copy.flags = entry.flags
            copy.l3Offset = entry.l3Offset
            copy.l4Offset = entry.l4Offset
            copy.etherType = entry.etherType
            copy.ipProtocol = entry.ipProtocol
            copy.offload = entry.offload  // a flooded super-frame stays one, its checksum partial
            var copyFrame = emit.pool.slot(copy.id) + Int(copy.dataOffset)
            var copyVLAN = vlan
            if output > 0xFFFF {
                var copyKey = key
                let refusal = applyBucket(Int(output >> 16) &- 1, &copy, &copyFrame, &copyKey, &copyVLAN, tables: tables)
                guard refusal == .none else {
                    emit.metadata[copyIndex] = copy
                    emit.drop(copyIndex, reason: refusal)
                    continue
                }
            }
            let allowed = egress(port, &copy, &copyFrame, vlan: copyVLAN)
            copy.outPort = port
            emit.metadata[copyIndex] = copy
            if !allowed { emit.drop(copyIndex, reason: .switchVLANNotAllowed) }
        }
    }

    /// Punts packet `index` (OpenFlow's output to CONTROLLER), unless the controller's meter
    /// drops it; notes which flow sent it when an OpenFlow channel listens.
    func sendToController(
        _ index: Int, batch: PacketBatch, frame: UnsafeMutableRawPointer, tables: Tables, flow: Int, table: Int, restore: Bool
    ) {
        if restore { restoreSnapshot(index, batch: batch) }
        let entry = batch.metadata[index]
        let frame = batch.pool.slot(entry.id) + Int(entry.dataOffset)
        if let meter = tables.controllerMeter {
            let (bytes, packets) = entry.wireSize(frame)
            if meter.admit(bytes: bytes, packets: packets, now: entry.timestamp) == .drop {
                batch.drop(index, reason: .meterDrop)
                return
            }
        }
        batch.punt(index)
        if recordsPunts && flow >= 0 && flow < tables.flows.count {
            let entry = tables.flows[flow]
            puntNotes.append(
                PuntNote(
                    table: UInt8(truncatingIfNeeded: table), cookie: entry.cookie,
                    tableMiss: entry.priority == 0 && entry.match.mask == SwitchKey()))
        }
    }

    /// Puts the actions of `actionSet` (a mask of `setSlots`) into `setProgram` in the order
    /// OpenFlow 1.3.5 5.10 runs them (an output only when there is no group); returns how many.
    func orderActionSet(_ actionSet: UInt32) -> Int {
        var count = 0
        for slot in 0..<CompiledAction.setSlotCount where actionSet & (1 << UInt32(slot)) != 0 {
            if slot == CompiledAction.outputSlot && actionSet & (1 << UInt32(CompiledAction.groupSlot)) != 0 { continue }
            setProgram[count] = setSlots[slot]
            count &+= 1
        }
        return count
    }

    /// Keeps the packet's metadata and headers as they are (see `snapshot`).
    /// Returns true (the packet now has a snapshot).
    func takeSnapshot(_ entry: PacketMetadata, _ frame: UnsafeMutableRawPointer) -> Bool {
        snapshot = entry
        snapshotBytes.copyMemory(from: frame, byteCount: min(Int(entry.length), Self.snapshotByteCount))
        return true
    }

    /// Puts packet `index` back as the snapshot kept it: headers rewritten, tags pushed or
    /// popped after it are undone (the bytes past the headers never change).
    func restoreSnapshot(_ index: Int, batch: PacketBatch) {
        let current = batch.metadata[index]
        guard snapshot.id == current.id else { return }
        let frame = batch.pool.slot(snapshot.id) + Int(snapshot.dataOffset)
        frame.copyMemory(from: snapshotBytes, byteCount: min(Int(snapshot.length), Self.snapshotByteCount))
        var restored = snapshot
        restored.outPort = current.outPort
        batch.metadata[index] = restored
    }

    /// Tags or untags the frame for `port`'s mode; false when the port does not carry `vlan`.
    func egress(_ port: UInt16, _ entry: inout PacketMetadata, _ frame: inout UnsafeMutableRawPointer, vlan: UInt16) -> Bool {
        let slot = slot(of: port)
        guard slot >= 0, !rawSlots[slot] else { return true }  // not a switch port, or raw: leave the frame as it is
        let tagged = entry.flags.contains(.vlanTagged)
        guard carries(slot, vlan) else { return false }
        if accessVLAN[slot] >= 0 || nativeVLAN[slot] == Int32(vlan) {
            if tagged { popTag(&entry, &frame) }
        } else if !tagged {
            pushTag(&entry, &frame, tpid: EtherType.vlan)
            frame.storeNetworkUInt16(vlan & 0x0FFF, at: 14)
        }
        return true
    }
}
