/// Where a chain's stages run when it spans hosts (`spec.hosts`, `spec.stages[].placement`,
/// `spec.overlay`): each host runs one contiguous run of the stages as a chain of its own (its
/// half), and consecutive hosts are joined by a VXLAN tunnel over their underlay addresses.
///
/// A host's half keeps the chain's name and its two port names: on the first host `inside` is
/// the chain's own first port and `outside` a `vxlan` port toward the next host; on the last,
/// `inside` is the tunnel from the host before and `outside` the chain's last port; a host in
/// the middle has tunnels on both sides. Stage configurations that name `inside` or `outside`
/// mean the same on every host. Crossing k (between the k-th and the next host, from 0) uses
/// VNI `vni + k` and TAPs `x<k>o-<chain>` (leaving) and `x<k>i-<chain>` (entering).
public struct ChainPlacement: Sendable, Equatable {
    /// A host of the chain: its name (what `placement:` and `--host` say) and its underlay
    /// address (the tunnels' end there).
    public struct Host: Sendable, Equatable {
        public var name: String
        public var address: String
        public var location: SourceLocation

        public init(name: String, address: String, location: SourceLocation) {
            self.name = name
            self.address = address
            self.location = location
        }
    }

    public var hosts: [Host]
    /// The first crossing's VNI (`spec.overlay.vni`; default: from the chain's name, the same
    /// on every host).
    public var vni: UInt32
    /// The tunnels' UDP port (`spec.overlay.dstPort`, 4789).
    public var destinationPort: UInt16

    public init(hosts: [Host], vni: UInt32, destinationPort: UInt16 = 4789) {
        self.hosts = hosts
        self.vni = vni
        self.destinationPort = destinationPort
    }

    /// A VNI from the chain's name (FNV-1a, 1 to 16000000): what every host derives alike.
    public static func defaultVNI(chain: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in chain.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash % 16_000_000 + 1
    }

    /// The hosts in the order the stages visit them, each with its stages.
    public func segments(of stages: [StageDescriptor]) -> [(host: Host, stages: [StageDescriptor])] {
        var result: [(host: Host, stages: [StageDescriptor])] = []
        for stage in stages {
            guard let name = stage.placement, let host = hosts.first(where: { $0.name == name }) else { continue }
            if result.last?.host.name == name {
                result[result.count - 1].stages.append(stage)
            } else {
                result.append((host, [stage]))
            }
        }
        return result
    }

    /// The TAP name of crossing `index` of chain `chain` on the host it leaves (`x0o-edge`) or
    /// enters (`x0i-edge`), 15 bytes at most: the two ends differ, so hosts that share a file
    /// system (namespaces of one machine) do not claim the same name.
    public static func tunnelInterface(chain: String, crossing index: Int, entering: Bool) -> String {
        String("x\(index)\(entering ? "i" : "o")-\(chain)".prefix(15))
    }
}
