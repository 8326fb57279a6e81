import Foundation

/// What a migration (`nfv-orch migrate`) measured, as the data plane that took the chain over saw
/// it (its control socket's `migration`).
public struct HandoverReport: Codable, Sendable, CustomStringConvertible {
    /// The data plane it took over from.
    public var predecessor: Int32
    /// From the predecessor's workers stopping to the last held frame leaving (or, with none
    /// held, to the successor's workers starting), in ms.
    public var pauseMilliseconds: Double
    /// Frames read and kept while the state moved, and those dropped beyond the hold's limit.
    public var heldFrames: Int
    public var droppedFrames: Int
    /// From the first frame held to the last one processed, in ms (0: none held).
    public var firstToLastHeldMilliseconds: Double
    /// Entries of state taken (connections, mappings).
    public var stateEntries: Int
    /// Bytes of state moved.
    public var stateBytes: Int

    public init(
        predecessor: Int32, pauseMilliseconds: Double, heldFrames: Int, droppedFrames: Int, firstToLastHeldMilliseconds: Double,
        stateEntries: Int, stateBytes: Int
    ) {
        self.predecessor = predecessor
        self.pauseMilliseconds = pauseMilliseconds
        self.heldFrames = heldFrames
        self.droppedFrames = droppedFrames
        self.firstToLastHeldMilliseconds = firstToLastHeldMilliseconds
        self.stateEntries = stateEntries
        self.stateBytes = stateBytes
    }

    public var description: String {
        String(
            format: "took over from data plane pid %d: paused %.1f ms, %d state entries (%d bytes) moved, %d frames held "
                + "(first held to last released %.1f ms), %d dropped",
            predecessor, pauseMilliseconds, stateEntries, stateBytes, heldFrames, firstToLastHeldMilliseconds, droppedFrames)
    }
}
