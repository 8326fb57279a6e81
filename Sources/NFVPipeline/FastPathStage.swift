import NFVPacket

/// A stage whose forwarding decisions for established flows the chain may cache in its
/// `FlowCache`, so that later packets of the flow skip the stage's own lookups.
///
/// While `process` runs, the stage notes a `FastPathLease` for every packet it forwards by a
/// decision that will hold for the flow's later packets as long as the lease does: an
/// established connection, a live NAT mapping, a resolved next hop, or "not mine: pass". A
/// packet every fast-path stage noted a lease for is learned: the chain records how the stages
/// rewrote its headers and where it left. A later packet of the same flow (same ports,
/// addresses, MACs, VLAN, in-port) then takes the recorded rewrite after every lease checked
/// out, and each lease does to its stage's state what `process` would have done (push an
/// expiry out, count the packet).
///
/// A stage keeps its leases honest by changing the identity word a lease watches whenever the
/// decision or its refresh would change (a connection's state, a mapping's filtering set, a
/// neighbour), and by returning a new generation from `beginFastPathBatch` when its
/// configuration changes. A stage that cannot vouch for a packet's decision notes nothing for
/// it: the flow then stays on the stages' own path.
public protocol FastPathStage: Stage {
    /// Whether the stage, as configured, can vouch for any decision (a stateless firewall
    /// cannot: every packet meets the rules). A chain with a stage that cannot runs without a
    /// fast path.
    var isFastPathCapable: Bool { get }
    /// Whether the stage looks packets up in tables of its own (a connection, mapping or
    /// route lookup the cache saves); a stage that does not (pass-through, decrement-ttl) does
    /// not count toward the two a chain needs before a fast path pays for itself.
    var savesLookups: Bool { get }
    /// Where the stage notes its decisions; the chain sets it when it runs a fast path (nil:
    /// note nothing).
    var fastPathLink: FastPathLink? { get set }
    /// Called once per batch before the chain looks packets up: adopts posted updates as
    /// `process` would. Returns a number that changes whenever cached decisions may have
    /// changed in a way no lease shows (a rule, route or service swap); a change empties the
    /// chain's flow cache.
    func beginFastPathBatch() -> UInt64
    /// The per-batch housekeeping of `process` (expiry sweeps), for batches whose packets all
    /// took the fast path; packets it generates go into `emit`.
    func sweepFastPath(now: UInt64, emit: PacketBatch)
}

extension FastPathStage {
    public var isFastPathCapable: Bool { true }
    public var savesLookups: Bool { true }
}

/// What a cached decision of one stage rests on, as words of the stage's own state:
///
/// - `identity` must still hold `expected` (a connection's or mapping's serial, a neighbour
///   epoch): the stage changes the word when the decision or its refresh would change;
/// - `deadline` must lie after the packet's time (an expiry, a neighbour's reachable time);
/// - with `timeout` above zero, each packet pushes `deadline` to its time + `timeout`;
/// - `counters`, when there are any, get one packet and the frame's bytes (a rule's hit
///   counter);
/// - with `mtu` above zero, the IP packet must not be longer.
///
/// Words a lease does not need point at the link's neutral words (`FastPathLink.lease`).
@frozen
public struct FastPathLease {
    public var identity: UnsafeMutablePointer<UInt32>
    public var expected: UInt32
    public var mtu: UInt32
    public var deadline: UnsafeMutablePointer<UInt64>
    public var timeout: UInt64
    public var counters: UnsafeMutablePointer<UInt64>?

    @inlinable
    public init(
        identity: UnsafeMutablePointer<UInt32>, expected: UInt32, mtu: UInt32, deadline: UnsafeMutablePointer<UInt64>,
        timeout: UInt64, counters: UnsafeMutablePointer<UInt64>?
    ) {
        self.identity = identity
        self.expected = expected
        self.mtu = mtu
        self.deadline = deadline
        self.timeout = timeout
        self.counters = counters
    }
}

/// A stage's place in the chain's fast path: where it notes leases, under its slot.
public struct FastPathLink {
    /// The notes of the chain's packets in flight.
    public let notes: FastPathNotes
    /// The stage's slot among the chain's fast-path stages.
    public let slot: Int

    public init(notes: FastPathNotes, slot: Int) {
        self.notes = notes
        self.slot = slot
    }

    /// Notes that the stage forwarded `packet` by the decision `lease` stands for.
    @inlinable @inline(__always)
    public func note(_ packet: PacketMetadata, _ lease: FastPathLease) {
        notes.note(id: packet.id, slot: slot, lease)
    }

    /// A lease on the given words; what is left out is not checked, refreshed or counted.
    @inlinable @inline(__always)
    public func lease(
        identity: UnsafeMutablePointer<UInt32>? = nil, expected: UInt32 = 0,
        deadline: UnsafeMutablePointer<UInt64>? = nil, refresh timeout: UInt64 = 0,
        counters: UnsafeMutablePointer<UInt64>? = nil, mtu: Int = 0
    ) -> FastPathLease {
        FastPathLease(
            identity: identity ?? notes.neutralIdentity, expected: identity == nil ? 0 : expected,
            mtu: UInt32(truncatingIfNeeded: mtu), deadline: deadline ?? notes.neutralDeadline,
            timeout: deadline == nil ? 0 : timeout, counters: counters)
    }

    /// The lease of a decision that rests on nothing but the flow's key and the stage's
    /// configuration ("not mine: pass").
    @inlinable
    public var pass: FastPathLease { lease() }
}

/// How a stage's loop notes leases: through a `FastPathLink`, or not at all (`FastPathOff`).
/// A stage writes its loop once, generic over this, and calls it with its link or with
/// `FastPathOff()`: the copy specialised for `FastPathOff` has no noting code at all, so a
/// chain without a fast path pays nothing for it.
public protocol FastPathNoting {
    /// Whether noting does anything (a constant of the type).
    static var isNoting: Bool { get }
    /// The link; read only when `isNoting`.
    var link: FastPathLink { get }
}

/// No fast path: nothing is noted.
public struct FastPathOff: FastPathNoting {
    @inlinable public static var isNoting: Bool { false }
    @inlinable public var link: FastPathLink { preconditionFailure("nothing is noted without a fast path") }
    @inlinable public init() {}
}

extension FastPathLink: FastPathNoting {
    @inlinable public static var isNoting: Bool { true }
    @inlinable public var link: FastPathLink { self }
}
