import NFVCatalog
import NFVDescriptors
import Testing

/// `spec.resources`: the limits read as written, quantities in Kubernetes' notation, and each
/// mistake at its line and column with a fix.
@Suite struct ChainResourcesTests {
    let loader = LoadedChain.descriptorLoader

    func chain(_ resources: String) throws(DescriptorErrorList) -> ChainDescriptor {
        try loader.parse(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: limited }
            spec:
              resources: \(resources)
              ports:
                - { name: in,  type: pcap-in,  path: in.pcap }
                - { name: out, type: pcap-out, path: out.pcap }
              stages:
                - { name: noop, vnf: pass-through }
            """, file: "chains/limited.yaml")
    }

    func errors(_ resources: String) -> [String] {
        do {
            _ = try chain(resources)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func readsTheIssuesExample() throws {
        let resources = try #require(try chain("{ cpus: 1.5, memory: 256Mi, cpuSet: [1] }").resources)
        #expect(resources.cpus == 1.5)
        #expect(resources.memoryBytes == 256 * 1_048_576)
        #expect(resources.cpuSet == [1])
        #expect(resources.location == SourceLocation(file: "chains/limited.yaml", line: 5, column: 14))
        #expect(try chain("{ cpus: 2 }").resources?.cpus == 2)
        #expect(try chain("{ memory: 300M }").resources?.memoryBytes == 300_000_000)
        #expect(try chain("{ memory: \"1Gi\" }").resources?.memoryBytes == 1 << 30)
        #expect(try chain("{ memory: 20000000 }").resources?.memoryBytes == 20_000_000)
    }

    @Test func quantitiesAreKubernetesNotation() {
        #expect(ChainResources.byteCount("64Ki") == 65_536)
        #expect(ChainResources.byteCount("2Ti") == 2 << 40)
        #expect(ChainResources.byteCount("5k") == 5_000)
        #expect(ChainResources.byteCount("1.5Gi") == nil)
        #expect(ChainResources.byteCount("Mi") == nil)
        #expect(ChainResources.byteCount("-1") == nil)
        #expect(ChainResources.byteCount("99999999999999Ti") == nil)
        #expect(ChainResources.describe(bytes: 256 << 20) == "256Mi")
        #expect(ChainResources.describe(bytes: 3 << 29) == "1.5Gi")
    }

    @Test func mistakesNameTheFieldAndAFix() {
        #expect(
            errors("{ cpus: 0 }") == [
                "chains/limited.yaml:5:22: error: spec.resources.cpus: 0 CPUs is out of range; "
                    + "use a share from 0.01 (a hundredth of one CPU) to 1024; 0.5 is half of one CPU"
            ])
        #expect(errors("{ cpus: half }").first?.contains("spec.resources.cpus: expected a number of CPUs") == true)
        #expect(
            errors("{ memory: 256MB }") == [
                "chains/limited.yaml:5:24: error: spec.resources.memory: \"256MB\" is not a memory size; "
                    + "write bytes with a suffix: 256Mi, 1Gi (binary) or 300M (decimal)"
            ])
        #expect(errors("{ memory: 1Mi }").first?.contains("1Mi is too little for a data plane") == true)
        #expect(errors("{ cpuSet: [1, 1] }").first?.contains("spec.resources.cpuSet[1]: CPU 1 is listed twice") == true)
        #expect(errors("{ cpuSet: [] }").first?.contains("spec.resources.cpuSet: the list is empty") == true)
        #expect(errors("{ cpu: 1 }").first?.contains("spec.resources.cpu: unknown field; did you mean \"cpus\"?") == true)
    }

    @Test func aChangeOfLimitsIsAMigration() throws {
        let before = try LoadedChain(descriptor: chain("{ cpus: 1 }"), configurations: ["noop": .passThrough])
        let after = try LoadedChain(descriptor: chain("{ cpus: 0.5, memory: 256Mi }"), configurations: ["noop": .passThrough])
        let changes = ChainChanges.between(before, after)
        #expect(changes.restart.isEmpty)
        #expect(
            changes.handover == [
                "resources: cpus 1.0 -> cpus 0.5, memory 256Mi (a new data plane takes the chain over in its cgroup, with its connections)"
            ])
        #expect(ChainChanges.between(before, before).handover.isEmpty)
        // A chain with a container port restarts instead (a migration does not carry its TAP).
        var withContainers = try chain("{ cpus: 1 }")
        withContainers.ports[0] = PortDescriptor(
            name: "in", kind: .tap, receivePath: nil, transmitPath: nil,
            tap: .init(interfaceName: "in", attachment: .cni), location: withContainers.ports[0].location)
        var changedContainers = try chain("{ cpus: 0.5 }")
        changedContainers.ports[0] = withContainers.ports[0]
        let restart = ChainChanges.between(
            try LoadedChain(descriptor: withContainers, configurations: ["noop": .passThrough]),
            try LoadedChain(descriptor: changedContainers, configurations: ["noop": .passThrough]))
        #expect(restart.handover.isEmpty && restart.restart.contains { $0.contains("container ports cannot move") }, "\(restart)")
    }
}
