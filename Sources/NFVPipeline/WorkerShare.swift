/// One worker's place among a chain's workers: stages that hand out state (a NAT's ports and
/// ICMP identifiers) take only their share, so what one worker hands out never collides with
/// another's and the owner of a port can be found from the port alone (`WorkerSteering`).
public struct WorkerShare: Sendable, Equatable {
    /// This worker's index, 0 ..< count.
    public var index: Int
    /// How many workers the chain runs on.
    public var count: Int

    /// Worker `index` of `count` (the default: the only one).
    public init(index: Int = 0, count: Int = 1) {
        precondition(count > 0 && index >= 0 && index < count, "a worker index is below the worker count")
        self.index = index
        self.count = count
    }
}
