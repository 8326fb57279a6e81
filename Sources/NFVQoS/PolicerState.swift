import Synchronization

/// A policer's marker and counters, shared by every worker's copy of the stage: a policer
/// holds one rate for the chain, whichever worker a packet lands on (both under one lock).
public final class PolicerState: Sendable {
    struct Guarded {
        var marker: ThreeColourMarker
        /// Packets and bytes per colour: green, yellow, red.
        var counts = [UInt64](repeating: 0, count: 6)
    }

    let guarded: Mutex<Guarded>

    public init(_ algorithm: ThreeColourMarker.Algorithm) {
        guarded = Mutex(Guarded(marker: ThreeColourMarker(algorithm)))
    }

    /// Marks a packet of `size` tokens arriving at `now`, and counts it (`packets` and `bytes`
    /// on the wire: a super-frame counts as its segments).
    func mark(size: UInt64, packets: UInt64 = 1, bytes: UInt64, at now: UInt64, precolour: PacketColour?) -> PacketColour {
        guarded.withLock { state in
            let colour = state.marker.mark(size: size, at: now, precolour: precolour)
            state.counts[2 * Int(colour.rawValue)] &+= packets
            state.counts[2 * Int(colour.rawValue) + 1] &+= bytes
            return colour
        }
    }

    /// Packets and bytes marked `colour` so far.
    public func counted(_ colour: PacketColour) -> (packets: UInt64, bytes: UInt64) {
        guarded.withLock { ($0.counts[2 * Int(colour.rawValue)], $0.counts[2 * Int(colour.rawValue) + 1]) }
    }
}
