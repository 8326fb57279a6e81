/// The rise/fall rule of a health check for one backend: `fall` consecutive failed probes mark
/// an up backend down, `rise` consecutive successful probes mark a down backend up. A single
/// result against the current state resets the run, so one lost probe never flaps a backend.
public struct HealthTracker: Sendable, Equatable {
    public let rise: Int
    public let fall: Int
    /// The backend's health now (backends start up, as they do in LVS and HAProxy).
    public private(set) var healthy = true
    /// Consecutive results that disagree with `healthy`.
    public private(set) var run = 0

    public init(rise: Int, fall: Int) {
        precondition(rise >= 1 && fall >= 1, "rise and fall are at least 1")
        self.rise = rise
        self.fall = fall
    }

    /// Records one probe result; returns the new health when it changed.
    public mutating func record(success: Bool) -> Bool? {
        guard success != healthy else {
            run = 0
            return nil
        }
        run += 1
        guard run >= (healthy ? fall : rise) else { return nil }
        healthy = success
        run = 0
        return healthy
    }
}
