/// Finds the highest-priority flow of one table that matches a key, without scanning the
/// flows: tuple space search, as Open vSwitch's classifier does. Flows are grouped by mask
/// (a "subtable" per distinct mask); a lookup masks the key once per subtable and probes that
/// subtable's hash map. Subtables are visited by their highest priority, so the search stops
/// as soon as no remaining subtable could beat the best match found. Among overlapping flows of
/// equal priority (which OpenFlow leaves undefined) the one added first wins, always. The cost is proportional
/// to the number of distinct masks, not of flows: 10,000 flows that differ only in addresses
/// and ports share a handful of subtables.
///
/// A classifier is built once from a list of flows and never changed; a change builds a new
/// one (off the data path) that replaces it between two batches.
public struct FlowClassifier: Sendable {
    struct Subtable: Sendable {
        var mask: SwitchKey
        var maxPriority: UInt16
        /// Masked key -> flow indices, highest priority first (then oldest first).
        var buckets: [SwitchKey: [Int32]]
    }

    /// The flows, by index (the index is what lookups return).
    public let flows: [FlowEntry]
    let subtables: [Subtable]

    /// Builds the classifier of `flows` (all of one table).
    public init(flows: [FlowEntry]) {
        self.flows = flows
        var byMask: [SwitchKey: Subtable] = [:]
        for (index, flow) in flows.enumerated() {
            var subtable = byMask[flow.match.mask] ?? Subtable(mask: flow.match.mask, maxPriority: 0, buckets: [:])
            subtable.maxPriority = max(subtable.maxPriority, flow.priority)
            subtable.buckets[flow.match.value, default: []].append(Int32(index))
            byMask[flow.match.mask] = subtable
        }
        subtables = byMask.values.map { table in
            var sorted = table
            for (key, bucket) in table.buckets {
                sorted.buckets[key] = bucket.sorted {
                    flows[Int($0)].priority > flows[Int($1)].priority || (flows[Int($0)].priority == flows[Int($1)].priority && $0 < $1)
                }
            }
            return sorted
        }.sorted { $0.maxPriority > $1.maxPriority }
    }

    /// The index of the best flow matching `key`, or -1.
    public func lookup(_ key: SwitchKey) -> Int {
        var best: Int32 = -1
        var bestPriority: UInt16 = 0
        for subtable in subtables {
            if best >= 0 && subtable.maxPriority < bestPriority { break }  // equal: an older flow may win the tie
            guard let bucket = subtable.buckets[key.masked(by: subtable.mask)], let first = bucket.first else { continue }
            let priority = flows[Int(first)].priority
            if best < 0 || priority > bestPriority || (priority == bestPriority && first < best) {
                best = first
                bestPriority = priority
            }
        }
        return Int(best)
    }

    /// How many distinct masks the flows use (the lookup cost on a cache miss).
    public var subtableCount: Int { subtables.count }
}
