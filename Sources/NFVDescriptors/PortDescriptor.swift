import NFVQoS

/// A port of a chain as its descriptor declares it. Port order matters: traffic entering on
/// the first port passes the stages in order, traffic entering on any other port in reverse.
public struct PortDescriptor: Sendable, Equatable {
    /// Kinds of port the platform can open.
    public enum Kind: String, Sendable, CaseIterable {
        /// Capture files: frames read from `rx` arrive on the port, frames leaving through the
        /// port are written to `tx`.
        case pcap = "pcap"
        /// Shorthand for a `pcap` port with only `rx` (`path:`).
        case pcapIn = "pcap-in"
        /// Shorthand for a `pcap` port with only `tx` (`path:`).
        case pcapOut = "pcap-out"
        /// A Linux TAP device: live frames to and from the kernel side, which the chain can
        /// place in a namespace with an address (`tap` settings).
        case tap = "tap"
        /// A tunnel to a chain on another host (the kernel's VXLAN): a TAP whose kernel side is
        /// bridged, in a namespace of its own, with a VXLAN device toward `remote` (`tap` and
        /// `tap.vxlan` settings): what the chain sends out of the port arrives on the other
        /// host's port of the same VNI, and the other way round.
        case vxlan = "vxlan"
    }

    /// The tunnel of a `vxlan` port.
    public struct VXLANSettings: Sendable, Equatable {
        /// The VXLAN network identifier (1 to 16777215); both ends use the same.
        public var vni: UInt32
        /// The other host's underlay address.
        public var remote: String
        /// This host's underlay address (the tunnel's source).
        public var local: String
        /// The UDP destination port (4789, IANA's).
        public var destinationPort: UInt16

        public init(vni: UInt32, remote: String, local: String, destinationPort: UInt16 = 4789) {
            self.vni = vni
            self.remote = remote
            self.local = local
            self.destinationPort = destinationPort
        }

        /// The VXLAN device's name in the port's namespace.
        public static let deviceName = "vxlan0"
        /// The bridge joining the TAP's kernel side and the VXLAN device there.
        public static let bridgeName = "br0"
    }

    /// Who brings a TAP port's kernel side.
    public enum Attachment: String, Sendable, CaseIterable {
        /// A container network plugin (`nfv-cni`): the port waits, detached, until a CNI ADD
        /// asks for a container's interface on it; the data plane then makes the TAP inside
        /// the container's namespace under the name the runtime chose, and a DEL takes it away.
        case cni
    }

    /// The kernel side of a TAP port.
    public struct TapSettings: Sendable, Equatable {
        /// The device name (at most 15 bytes).
        public var interfaceName: String
        /// The network namespace the kernel side goes into (created if absent, removed on
        /// undeploy when the chain created it); nil keeps it in the data plane's namespace.
        public var namespace: String?
        /// The kernel side's address with its prefix length (`10.0.1.2/24`).
        public var address: String?
        /// The default gateway of the namespace, inside `address`'s subnet.
        public var gateway: String?
        /// The link MTU.
        public var mtu: Int
        /// Queues of a multi-queue TAP (one worker each).
        public var queues: Int
        /// Whether the TAP takes the kernel's offloads (virtio-net header, partial checksums,
        /// TSO/USO super-frames); on unless the descriptor says `offloads: false`.
        public var offloads: Bool
        /// The egress shaper of what the chain sends out of this port (`shaper:`); nil: none.
        public var shaper: ShaperConfiguration?
        /// `attach: cni`: the kernel side is a container's interface, made when a container
        /// attaches (`interfaceName`, `namespace`, `address` and `gateway` then come from the
        /// container runtime and its IPAM); nil: the data plane plumbs it at start.
        public var attachment: Attachment?
        /// A `vxlan` port's tunnel (the kernel side is then bridged to it, with no address).
        public var vxlan: VXLANSettings?
        public init(
            interfaceName: String, namespace: String? = nil, address: String? = nil, gateway: String? = nil,
            mtu: Int = 1500, queues: Int = 1, offloads: Bool = true, shaper: ShaperConfiguration? = nil, attachment: Attachment? = nil,
            vxlan: VXLANSettings? = nil
        ) {
            self.shaper = shaper
            self.attachment = attachment
            self.vxlan = vxlan
            self.interfaceName = interfaceName
            self.namespace = namespace
            self.address = address
            self.gateway = gateway
            self.mtu = mtu
            self.queues = queues
            self.offloads = offloads
        }
    }

    /// The port's name in the chain (`inside`).
    public var name: String
    /// What kind of port it is.
    public var kind: Kind
    /// The capture whose frames arrive on this port, resolved against the chain file's folder.
    public var receivePath: String?
    /// The capture that frames leaving through this port are written to.
    public var transmitPath: String?
    /// The kernel side of a `tap` port.
    public var tap: TapSettings?
    /// For a capture port, the MTU of the link its capture stands for (`mtu:`, 1500 unless
    /// set): a TCP frame in `rx` whose IP packet is longer was taken where the kernel offloads
    /// segmentation, and enters the chain as a super-frame cut to fit this MTU.
    public var captureMTU = 1500
    /// Where the port is declared.
    public var location: SourceLocation

    /// Creates a port description.
    public init(
        name: String, kind: Kind, receivePath: String?, transmitPath: String?, tap: TapSettings? = nil,
        location: SourceLocation
    ) {
        self.name = name
        self.kind = kind
        self.receivePath = receivePath
        self.transmitPath = transmitPath
        self.tap = tap
        self.location = location
    }
}

extension PortDescriptor {
    /// True when `other` asks for the same port (name, kind, files, TAP settings), wherever
    /// either was written: two versions of a chain differ in a port only if this is false.
    public func hasSameSettings(as other: PortDescriptor) -> Bool {
        name == other.name && kind == other.kind && receivePath == other.receivePath
            && transmitPath == other.transmitPath && tap == other.tap && captureMTU == other.captureMTU
    }
}
