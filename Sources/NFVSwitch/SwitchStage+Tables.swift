import NFVPacket

/// The compiled form of a switch's flows: the classifier per table, every flow's actions
/// flattened into one array, counters, and which flows are a single output (the inline path).
extension SwitchStage {
    /// The flow tables as installed: immutable, replaced as a whole (so the per-packet path
    /// reads `let`s, with no exclusivity checks).
    final class Tables {
        /// The flows (sorted by table), groups and meters these tables were built from.
        let program: SwitchProgram
        var flows: [FlowEntry] { program.flows }
        let classifiers: [FlowClassifier]
        /// Global flow index of each table's local index 0.
        let tableBase: [Int]
        /// Every flow's actions, then every group bucket's, flattened; flow i's are
        /// actions[actionStart[i] ..< actionStart[i + 1]].
        let actions: UnsafeMutablePointer<CompiledAction>
        let actionStart: UnsafeMutablePointer<Int32>
        /// packets, bytes, last hit, installed: four words per flow.
        let counters: UnsafeMutablePointer<UInt64>
        /// Per flow: its output port when its actions are exactly one `output:PORT`, else -1
        /// (what the inline path of `process` can finish without running the actions).
        let singleOutput: UnsafeMutablePointer<Int32>
        let version: UInt64
        /// The groups, by the index `group` actions carry; their buckets, by group.
        let groups: [CompiledGroup]
        let buckets: [CompiledBucket]
        let groupCounters: [GroupCounters]
        /// The meters, by the index `meter` actions carry; the controller's meter, or nil.
        let meters: [MeterState]
        let controllerMeter: MeterState?
        /// True when some flow has an idle or hard timeout (otherwise nothing is ever scanned).
        let hasTimeouts: Bool
        /// False until the first batch stamped "installed" and "last hit" of flows installed
        /// before any packet told the time (at start).
        var clockStarted: Bool

        init(
            program given: SwitchProgram, version: UInt64, now: UInt64, carried: [FlowIdentity: (UInt64, UInt64, UInt64, UInt64)],
            paths: [PathTarget] = []
        ) {
            let flows = given.flows
            let sorted = flows.enumerated().sorted { ($0.element.table, $0.offset) < ($1.element.table, $1.offset) }.map(\.element)
            let tableCount = Int(sorted.map(\.table).max() ?? 0) + 1
            var classifiers: [FlowClassifier] = []
            var bases: [Int] = []
            var start = 0
            for table in 0..<tableCount {
                let members = sorted.filter { $0.table == table }
                bases.append(start)
                classifiers.append(FlowClassifier(flows: members))
                start += members.count
            }
            var program = given
            program.flows = sorted
            self.program = program
            self.classifiers = classifiers
            tableBase = bases
            self.version = version
            hasTimeouts = sorted.contains { $0.idleTimeout > 0 || $0.hardTimeout > 0 }
            clockStarted = now != 0
            let pathIndex = Dictionary(paths.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
            // Groups and meters by id, in id order (a flow's action carries the index).
            let groupIDs = given.groups.keys.sorted()
            let meterIDs = given.meters.keys.sorted().filter { $0 != MeterEntry.controller }
            let names = CompiledAction.Names(
                paths: pathIndex, groups: Dictionary(uniqueKeysWithValues: groupIDs.enumerated().map { ($1, $0) }),
                meters: Dictionary(uniqueKeysWithValues: meterIDs.enumerated().map { ($1, $0) }))
            meters = meterIDs.map { given.meters[$0]!.state }
            controllerMeter = given.meters[MeterEntry.controller]?.state
            // Actions written to the action set sit after the buckets; `write` carries their index.
            var written: [CompiledAction] = []
            func compile(_ action: FlowAction) -> CompiledAction {
                guard case .write(let inner) = action else { return CompiledAction(action, names: names) }
                written.append(CompiledAction(inner, names: names))
                return CompiledAction(kind: .write, operand: UInt64(written.count - 1))
            }
            var compiled = sorted.map { $0.actions.map(compile) }
            let flowActionCount = compiled.reduce(0) { $0 + $1.count }
            var groups: [CompiledGroup] = []
            var buckets: [CompiledBucket] = []
            var bucketPosition = flowActionCount
            for id in groupIDs {
                let group = given.groups[id]!
                let live = group.kind == .all ? UInt32(0) : group.buckets.reduce(UInt32(0)) { $0 + UInt32($1.weight) }
                groups.append(
                    CompiledGroup(
                        kind: group.kind, firstBucket: buckets.count, bucketCount: group.buckets.count, totalWeight: live,
                        watchesPorts: group.buckets.contains { $0.watchPort != nil }))
                for bucket in group.buckets {
                    let list = bucket.actions.map { CompiledAction($0, names: names) }
                    buckets.append(
                        CompiledBucket(
                            start: bucketPosition, end: bucketPosition + list.count, weight: UInt32(bucket.weight),
                            watch: bucket.watchPort.map(Int32.init) ?? -1))
                    bucketPosition += list.count
                    compiled.append(list)
                }
            }
            self.groups = groups
            self.buckets = buckets
            groupCounters = groupIDs.map { given.groups[$0]!.counters }
            let writtenBase = compiled.reduce(0) { $0 + $1.count }
            compiled = compiled.map { list in
                list.map { $0.kind == .write ? CompiledAction(kind: .write, operand: $0.operand + UInt64(writtenBase)) : $0 }
            }
            compiled.append(written)
            let total = compiled.reduce(0) { $0 + $1.count }
            actions = .allocate(capacity: max(total, 1))
            actionStart = .allocate(capacity: sorted.count + 1)
            var position = 0
            for (index, list) in compiled.enumerated() {
                if index < sorted.count { actionStart[index] = Int32(position) }
                for action in list {
                    (actions + position).initialize(to: action)
                    position += 1
                }
            }
            actionStart[sorted.count] = Int32(flowActionCount)
            singleOutput = .allocate(capacity: max(sorted.count, 1))
            for (index, list) in compiled.prefix(sorted.count).enumerated() {
                singleOutput[index] = list.count == 1 && list[0].kind == .output ? Int32(truncatingIfNeeded: list[0].operand) : -1
            }
            counters = .allocate(capacity: max(sorted.count, 1) * 4)
            for (index, flow) in sorted.enumerated() {
                let previous = carried[FlowIdentity(flow)] ?? (0, 0, now, now)
                counters[4 * index] = previous.0
                counters[4 * index + 1] = previous.1
                counters[4 * index + 2] = previous.2
                counters[4 * index + 3] = previous.3
            }
        }

        deinit {
            actions.deallocate()
            actionStart.deallocate()
            counters.deallocate()
            singleOutput.deallocate()
        }
    }

    /// A group as the data path runs it: its buckets are buckets[firstBucket ..< firstBucket +
    /// bucketCount].
    struct CompiledGroup {
        var kind: GroupEntry.Kind
        var firstBucket: Int
        var bucketCount: Int
        /// Sum of the buckets' weights (SELECT).
        var totalWeight: UInt32
        /// Some bucket follows a port's liveness (else every bucket is always live).
        var watchesPorts: Bool
    }

    /// A bucket: its actions are actions[start ..< end]; `watch` is the chain port whose
    /// liveness it follows (-1: none).
    struct CompiledBucket {
        var start: Int
        var end: Int
        var weight: UInt32
        var watch: Int32
    }

    /// What the counters of a flow follow across a change: its table, priority and match (OpenFlow
    /// keeps a flow's counters when a MODIFY or a replacing ADD changes its actions), and its
    /// counter epoch (RESET_COUNTS starts a new one).
    struct FlowIdentity: Hashable {
        var table: UInt8
        var priority: UInt16
        var match: FlowMatch
        var epoch: UInt32
        init(_ flow: FlowEntry) {
            table = flow.table
            priority = flow.priority
            match = flow.match
            epoch = flow.counterEpoch
        }
    }

    /// One action, as the data path runs it: a kind and up to two operands (trivially copyable).
    struct CompiledAction {
        enum Kind: UInt8 {
            case output, normal, flood, inPort, controller, setEthSrc, setEthDst, setVLANVID, pushVLAN, popVLAN
            case setIPv4Source, setIPv4Destination, setTransportSource, setTransportDestination, gotoTable, chain
            case group, meter, decrementTTL, write, clearActions, writeMetadata
        }

        /// The place of an action in the action set, in the order the set runs (-1: not one).
        var setSlot: Int {
            switch kind {
            case .popVLAN: 0
            case .pushVLAN: 1
            case .decrementTTL: 2
            case .setEthSrc: 3
            case .setEthDst: 4
            case .setVLANVID: 5
            case .setIPv4Source: 6
            case .setIPv4Destination: 7
            case .setTransportSource: 8
            case .setTransportDestination: 9
            case .group: 10
            case .output, .normal, .flood, .inPort, .controller: 11
            default: -1
            }
        }
        static let setSlotCount = 12
        static let groupSlot = 10
        static let outputSlot = 11

        init(kind: Kind, operand: UInt64, mask: UInt64 = 0) {
            self.kind = kind
            self.operand = operand
            self.mask = mask
        }

        /// Where names and ids in actions point: service paths, groups and meters by index.
        struct Names {
            var paths: [String: Int] = [:]
            var groups: [UInt32: Int] = [:]
            var meters: [UInt32: Int] = [:]
        }
        var kind: Kind
        var operand: UInt64
        /// write_metadata's mask (0 for the other kinds).
        var mask: UInt64 = 0

        init(_ action: FlowAction, names: Names) {
            switch action {
            case .output(let port): (kind, operand) = (.output, UInt64(port))
            case .normal: (kind, operand) = (.normal, 0)
            case .flood: (kind, operand) = (.flood, 0)
            case .inPort: (kind, operand) = (.inPort, 0)
            case .controller: (kind, operand) = (.controller, 0)
            case .setEthSrc(let mac): (kind, operand) = (.setEthSrc, mac)
            case .setEthDst(let mac): (kind, operand) = (.setEthDst, mac)
            case .setVLANVID(let vid): (kind, operand) = (.setVLANVID, UInt64(vid))
            case .pushVLAN(let tpid): (kind, operand) = (.pushVLAN, UInt64(tpid))
            case .popVLAN: (kind, operand) = (.popVLAN, 0)
            case .setIPv4Source(let address): (kind, operand) = (.setIPv4Source, UInt64(address.rawValue))
            case .setIPv4Destination(let address): (kind, operand) = (.setIPv4Destination, UInt64(address.rawValue))
            case .setTransportSource(let port): (kind, operand) = (.setTransportSource, UInt64(port))
            case .setTransportDestination(let port): (kind, operand) = (.setTransportDestination, UInt64(port))
            case .gotoTable(let table): (kind, operand) = (.gotoTable, UInt64(table))
            case .chain(let name): (kind, operand) = (.chain, names.paths[name].map { UInt64($0) } ?? .max)
            case .group(let id): (kind, operand) = (.group, names.groups[id].map { UInt64($0) } ?? .max)
            case .meter(let id): (kind, operand) = (.meter, names.meters[id].map { UInt64($0) } ?? .max)
            case .decrementTTL: (kind, operand) = (.decrementTTL, 0)
            case .clearActions: (kind, operand) = (.clearActions, 0)
            case .writeMetadata(let value, let bits): (kind, operand, mask) = (.writeMetadata, value, bits)
            case .write: (kind, operand) = (.write, .max)  // compiled by Tables (its place in the array)
            }
        }
    }
}
