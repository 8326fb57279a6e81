import NFVPacket
import NFVPipeline

/// The NORMAL action (MAC learning and flooding per VLAN, as an L2 switch) and the ageing of
/// learnt addresses and of flows with idle or hard timeouts.
extension SwitchStage {
    /// Every port of `vlan` but the one the frame came in on; `tag` marks the outputs of an ALL
    /// group's bucket.
    func flood(inSlot: Int, vlan: UInt16, count: inout Int, tag: UInt32 = 0) {
        statistics[3] &+= 1
        for slot in 0..<ports.count where slot != inSlot && carries(slot, vlan) && count < outputCapacity {
            outputs[count] = UInt32(portNumbers[slot]) | tag
            count &+= 1
        }
    }

    /// L2 switching: learn the source, forward to the learnt port of the destination, or flood.
    /// Returns false when the destination was learnt on the port the frame came in on (a
    /// frame never goes back out of its own port).
    func normal(key: SwitchKey, inPort: UInt16, inSlot: Int, vlan: UInt16, now: UInt64, count: inout Int) -> Bool {
        let source = key.ethSrc
        if source & 0x0100_0000_0000 == 0,  // never learn a multicast source
            macs.learn(source, vlan: vlan, port: inPort, now: now, expires: now &+ ageing)
        {
            statistics[2] &+= 1
        }
        let destination = key.ethDst
        if destination & 0x0100_0000_0000 == 0, let port = macs.port(of: destination, vlan: vlan, now: now) {
            guard port != inPort else { return false }
            if count < outputCapacity {
                outputs[count] = UInt32(port)
                count &+= 1
            }
            return true
        }
        flood(inSlot: inSlot, vlan: vlan, count: &count)
        return true
    }

    /// The MAC table: (MAC, VLAN, port, seconds left) of entries alive at `now`.
    public func macTable(now: UInt64) -> [(mac: UInt64, vlan: UInt16, port: UInt16, secondsLeft: UInt64)] {
        macs.stations(now: now)
    }

    /// Flows installed before the first packet count their age and idleness from it.
    func startClock(_ now: UInt64) {
        let current = tables
        current.clockStarted = true
        for index in current.flows.indices where current.counters[4 * index + 3] == 0 {
            current.counters[4 * index + 2] = now
            current.counters[4 * index + 3] = now
        }
    }

    /// Removes flows whose idle or hard timeout passed (checked once a second).
    func expireFlows(now: UInt64) {
        nextExpiryCheck = now &+ 1_000_000_000
        macs.sweep(now: now, slotBudget: 1024)  // aged-out stations, a part of the table per second
        let second: UInt64 = 1_000_000_000
        let current = tables
        guard current.hasTimeouts else { return }
        func isExpired(_ index: Int) -> Bool {
            let flow = current.flows[index]
            return (flow.idleTimeout > 0 && now >= current.counters[4 * index + 2] &+ UInt64(flow.idleTimeout) &* second)
                || (flow.hardTimeout > 0 && now >= current.counters[4 * index + 3] &+ UInt64(flow.hardTimeout) &* second)
        }
        guard current.flows.indices.contains(where: isExpired) else { return }  // no allocation unless something goes
        var keep: [FlowEntry] = []
        var gone: [ExpiredFlow] = []
        for (index, flow) in current.flows.enumerated() {
            let lastHit = current.counters[4 * index + 2]
            let installed = current.counters[4 * index + 3]
            let idle = flow.idleTimeout > 0 && now >= lastHit &+ UInt64(flow.idleTimeout) &* second
            let hard = flow.hardTimeout > 0 && now >= installed &+ UInt64(flow.hardTimeout) &* second
            if idle || hard {
                statistics[4] &+= 1
                gone.append(
                    ExpiredFlow(
                        flow: flow, hard: hard && !idle, packets: current.counters[4 * index], bytes: current.counters[4 * index + 1],
                        seconds: Double(now &- min(installed, now)) / 1e9))
            } else {
                keep.append(flow)
            }
        }
        if !gone.isEmpty {
            var program = current.program
            program.flows = keep
            install(program, now: now)
            onExpiry?(gone)
        }
    }
}
