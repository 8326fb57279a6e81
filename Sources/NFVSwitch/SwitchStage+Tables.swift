import NFVPacket

/// The compiled form of a switch's flows: the classifier per table, every flow's actions
/// flattened into one array, counters, and which flows are a single output (the inline path).
extension SwitchStage {
    /// The flow tables as installed: immutable, replaced as a whole (so the per-packet path
    /// reads `let`s, with no exclusivity checks).
    final class Tables {
        let flows: [FlowEntry]
        let classifiers: [FlowClassifier]
        /// Global flow index of each table's local index 0.
        let tableBase: [Int]
        /// Every flow's actions, flattened; flow i's are actions[actionStart[i] ..< actionStart[i + 1]].
        let actions: UnsafeMutablePointer<CompiledAction>
        let actionStart: UnsafeMutablePointer<Int32>
        /// packets, bytes, last hit, installed: four words per flow.
        let counters: UnsafeMutablePointer<UInt64>
        /// Per flow: its output port when its actions are exactly one `output:PORT`, else -1
        /// (what the inline path of `process` can finish without running the actions).
        let singleOutput: UnsafeMutablePointer<Int32>
        let version: UInt64
        /// True when some flow has an idle or hard timeout (otherwise nothing is ever scanned).
        let hasTimeouts: Bool
        /// False until the first batch stamped "installed" and "last hit" of flows installed
        /// before any packet told the time (at start).
        var clockStarted: Bool

        init(
            flows: [FlowEntry], version: UInt64, now: UInt64, carried: [FlowEntry: (UInt64, UInt64, UInt64, UInt64)],
            paths: [PathTarget] = []
        ) {
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
            self.flows = sorted
            self.classifiers = classifiers
            tableBase = bases
            self.version = version
            hasTimeouts = sorted.contains { $0.idleTimeout > 0 || $0.hardTimeout > 0 }
            clockStarted = now != 0
            let pathIndex = Dictionary(paths.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
            let compiled = sorted.map { $0.actions.map { CompiledAction($0, paths: pathIndex) } }
            let total = compiled.reduce(0) { $0 + $1.count }
            actions = .allocate(capacity: max(total, 1))
            actionStart = .allocate(capacity: sorted.count + 1)
            var position = 0
            for (index, list) in compiled.enumerated() {
                actionStart[index] = Int32(position)
                for action in list {
                    (actions + position).initialize(to: action)
                    position += 1
                }
            }
            actionStart[sorted.count] = Int32(position)
            singleOutput = .allocate(capacity: max(sorted.count, 1))
            for (index, list) in compiled.enumerated() {
                singleOutput[index] = list.count == 1 && list[0].kind == .output ? Int32(truncatingIfNeeded: list[0].operand) : -1
            }
            counters = .allocate(capacity: max(sorted.count, 1) * 4)
            for (index, flow) in sorted.enumerated() {
                let previous = carried[flow] ?? (0, 0, now, now)
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

    /// One action, as the data path runs it: a kind and up to two operands (trivially copyable).
    struct CompiledAction {
        enum Kind: UInt8 {
            case output, normal, flood, controller, setEthSrc, setEthDst, setVLANVID, pushVLAN, popVLAN
            case setIPv4Source, setIPv4Destination, setTransportSource, setTransportDestination, gotoTable, chain
        }
        var kind: Kind
        var operand: UInt64

        init(_ action: FlowAction, paths: [String: Int]) {
            switch action {
            case .output(let port): (kind, operand) = (.output, UInt64(port))
            case .normal: (kind, operand) = (.normal, 0)
            case .flood: (kind, operand) = (.flood, 0)
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
            case .chain(let name): (kind, operand) = (.chain, paths[name].map { UInt64($0) } ?? .max)
            }
        }
    }
}
