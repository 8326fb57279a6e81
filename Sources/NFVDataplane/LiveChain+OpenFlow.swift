import NFVCatalog
import NFVNetlink
import NFVOpenFlow
import NFVOpenFlowAgent
import NFVSwitch
import Synchronization

/// The chain's first switch stage as an OpenFlow datapath: its ports (OpenFlow numbers are
/// chain port numbers plus one, names are chain port names), their counters and link state,
/// and its flows, which FLOW_MODs edit through the same table and update path as
/// `nfv-orch add-flow` (so `nfv-orch flows` shows what a controller set, cookies and tables
/// included).
extension LiveChain: OpenFlowDatapath {
    /// The first switch stage's name and configuration, when the chain has a switch.
    public var switchStageConfiguration: (stage: String, configuration: SwitchConfiguration)? {
        guard let stage = loaded.descriptor.stages.first(where: { $0.vnf == VNFKind.switch.name }),
            case .switch(let configuration) = loaded.configurations[stage.name]
        else { return nil }
        return (stage.name, configuration)
    }

    public var switchPorts: Set<UInt16> {
        let numbers = loaded.descriptor.portNumbers
        return Set(switchStageConfiguration?.configuration.ports.compactMap { numbers[$0.port] } ?? [])
    }

    public func portDescriptions() -> [OpenFlowPort] {
        let numbers = loaded.descriptor.portNumbers
        let links = Dictionary(links().map { ($0.port, $0) }, uniquingKeysWith: { first, _ in first })
        let datapath = switchStageConfiguration?.configuration.openflow?.datapathID ?? 0
        return (switchStageConfiguration?.configuration.ports ?? []).compactMap { setting in
            guard let number = numbers[setting.port] else { return nil }
            let up = links[setting.port]?.up ?? false
            // A locally administered address made of the datapath id's low bytes and the port.
            let address: [UInt8] = [
                0x02, UInt8(truncatingIfNeeded: datapath >> 16), UInt8(truncatingIfNeeded: datapath >> 8),
                UInt8(truncatingIfNeeded: datapath), UInt8(truncatingIfNeeded: number >> 8), UInt8(truncatingIfNeeded: number),
            ]
            // 10 Gb/s full duplex, copper (what a TAP reports is meaningless; this is what it carries).
            let features: UInt32 = 1 << 6 | 1 << 11
            let down = adminDownPorts.withLock { $0.contains(number) }
            setLiveness(number, live: up && !down)  // a carrier change reaches the groups here
            return OpenFlowPort(
                portNumber: UInt32(number) + 1, hardwareAddress: address, name: setting.port, config: down ? 1 : 0, state: up ? 4 : 1,
                current: features, advertised: 0, supported: features, peer: 0, currentSpeed: 10_000_000, maximumSpeed: 10_000_000)
        }
    }

    public func portStatistics() -> [OpenFlowPortStats] {
        let ports = counters().ports
        return switchPorts.sorted().compactMap { number in
            guard Int(number) < ports.count else { return nil }
            let port = ports[Int(number)]
            var stats = OpenFlowPortStats(portNumber: UInt32(number) + 1)
            stats.receivedPackets = port.receivedPackets
            stats.receivedBytes = port.receivedBytes
            stats.transmittedPackets = port.transmittedPackets
            stats.transmittedBytes = port.transmittedBytes
            stats.receiveDropped = port.drops.values.reduce(0, &+)
            return stats
        }
    }

    public func flowRecords() -> [OpenFlowFlowRecord] {
        guard let stage = switchStageConfiguration?.stage, let counters = counters().stages.first(where: { $0.name == stage }) else { return [] }
        return counters.flows.map { OpenFlowFlowRecord(flow: $0.flow, packets: $0.packets, bytes: $0.bytes, seconds: $0.seconds) }
    }

    public func program() -> SwitchProgram {
        flowEdits.withLock { _ in (try? currentSwitchFlows())?.program ?? SwitchProgram() }
    }

    public func editProgram(_ edit: (inout SwitchProgram) throws(OpenFlowError) -> Void) throws(OpenFlowError) {
        var failure: OpenFlowError?
        do {
            try editSwitchFlows { (table: inout SwitchFlowTable) throws(LiveChainError) in
                do throws(OpenFlowError) { try edit(&table.program) } catch {
                    failure = error
                    throw LiveChainError("\(error)")
                }
            }
        } catch {
            throw failure ?? OpenFlowError(type: 5, code: 0)  // FLOW_MOD_FAILED / UNKNOWN: no switch stage
        }
    }

    public func packetOut(_ frame: [UInt8], inPort: UInt16?, actions: [FlowAction]?) throws(OpenFlowError) {
        guard let controller, let first = workers.first else { throw OpenFlowError(type: 1, code: 1) }  // BAD_TYPE: no channel
        guard frame.count >= 14, frame.count <= 65_535 else { throw OpenFlowError(type: 1, code: 12) }  // BAD_PACKET
        controller.packetOuts.withLock { $0.append(ControllerChannel.PacketOutRequest(frame: frame, inPort: inPort, actions: actions)) }
        controller.pendingPacketOuts.add(1, ordering: .releasing)
        first.wake.wakeIfSleeping()
    }

    /// Sets the TAP's kernel side down or up (netlink, in the port's namespace): a port that is
    /// down passes no frames either way, as a link that is down.
    public func setPort(_ port: UInt16, down: Bool) throws(OpenFlowError) {
        guard Int(port) < loaded.descriptor.ports.count, let tap = loaded.descriptor.ports[Int(port)].tap else {
            throw OpenFlowError(type: 7, code: 0)  // PORT_MOD_FAILED / BAD_PORT
        }
        do {
            let socket: NetlinkSocket
            if let name = tap.namespace {
                guard let namespace = namespaces[name] else { throw OpenFlowError(type: 7, code: 4) }
                socket = try namespace.netlink()
            } else {
                socket = try NetlinkSocket()
            }
            try socket.setLink(tap.interfaceName, up: !down)
        } catch {
            throw OpenFlowError(type: 7, code: 4)  // PORT_MOD_FAILED / EPERM: the kernel refused
        }
        adminDownPorts.withLock { if down { $0.insert(port) } else { $0.remove(port) } }
        // Groups fail over at once (before the reply), not at the next look at the links.
        setLiveness(port, live: !down && (links().first { $0.port == loaded.descriptor.ports[Int(port)].name }?.up ?? false))
    }

    /// Tells every worker's switch stage whether `port` is live (fast-failover and select groups).
    func setLiveness(_ port: UInt16, live: Bool) {
        let stage = switchStageConfiguration?.stage
        for worker in workers {
            for case let switchStage as SwitchStage in worker.chain.stages.map(\.unwrapped) where switchStage.name == stage {
                switchStage.liveness.set(port, live: live)
            }
        }
    }

    /// Packets for the controller dropped because the agent fell behind.
    public var packetInOverflows: UInt64 { controller?.packetInOverflows.load(ordering: .relaxed) ?? 0 }

    public func connectController(_ notify: @escaping @Sendable () -> Void) {
        controller?.notify.withLock { $0 = notify }
    }

    public func takePacketIns() -> [OpenFlowPacketInEvent] {
        controller?.packetIns.withLock { waiting in
            defer { waiting.removeAll(keepingCapacity: true) }
            return waiting
        } ?? []
    }

    public func takeTimedOutFlows() -> [(record: OpenFlowFlowRecord, hard: Bool)] {
        flowEdits.withLock { _ in
            guard var table = try? currentSwitchFlows() else { return }
            if expiredFlows.apply(to: &table.entries, report: controller != nil) { install(table) }
        }
        return expiredFlows.toReport.withLock { reported in
            defer { reported.removeAll() }
            return reported.map {
                (OpenFlowFlowRecord(flow: $0.flow, packets: $0.packets, bytes: $0.bytes, seconds: $0.seconds), $0.hard)
            }
        }
    }
}
