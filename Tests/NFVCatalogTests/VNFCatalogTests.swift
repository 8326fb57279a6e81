import NFVCatalog
import NFVDescriptors
import NFVPipeline
import NFVTestSupport
import Testing

/// Every kind in the catalog works end to end from its example configuration: it loads, builds
/// a stage of its kind, takes itself as a live update, and a chain loader accepts it by name.
@Suite struct VNFCatalogTests {
    /// The example configuration of each kind under vnf-configs/ (nil: the kind takes none).
    /// Exhaustive, so a new kind cannot join the catalog without an example.
    static func example(_ kind: VNFKind) -> String? {
        switch kind {
        case .decrementTTL, .passThrough: nil
        case .firewall: "edge-firewall.yaml"
        case .loadBalancer: "web-lb.yaml"
        case .nat: "edge-nat.yaml"
        case .router: "edge-router.yaml"
        case .switch: "lab-switch.yaml"
        case .policer: "edge-policer.yaml"
        }
    }

    @Test(arguments: VNFKind.allCases)
    func kindRoundTrips(_ kind: VNFKind) throws {
        let path = Self.example(kind).map { Fixtures.root.appendingPathComponent("vnf-configs/\($0)").path } ?? ""
        #expect(kind.needsConfiguration == (Self.example(kind) != nil))
        let (configuration, references) = try kind.loadConfiguration(path: path)
        #expect(configuration.kind == kind)

        // A stage of the kind, on a chain that has the ports the configuration names.
        var portIndex: [String: UInt16] = [:]
        for name in references.map(\.name) where portIndex[name] == nil { portIndex[name] = UInt16(portIndex.count) }
        let stage = configuration.makeStage(name: "s", context: StageContext(portIndex: portIndex))
        #expect(stage.kind == kind.name && stage.name == "s")

        // The live-update check: the same configuration always applies live; another kind never does.
        #expect(configuration.liveUpdateProblem(to: configuration) == nil)
        try configuration.apply(to: stage)
        let other: VNFConfiguration = kind == .passThrough ? .decrementTTL : .passThrough
        #expect(configuration.liveUpdateProblem(to: other) != nil)
    }

    @Test func descriptorLoaderKnowsExactlyTheCatalogKinds() throws {
        #expect(LoadedChain.descriptorLoader.knownVNFKinds == VNFKind.allCases.map(\.name))
        var messages: [String] = []
        do {
            _ = try LoadedChain.descriptorLoader.parse(
                """
                apiVersion: nfv/v1
                kind: Chain
                metadata: { name: c }
                spec:
                  ports: [{ name: a, type: tap, interface: t0 }, { name: b, type: tap, interface: t1 }]
                  stages: [{ name: x, vnf: shaper }]
                """, file: "c.yaml")
        } catch {
            messages = error.errors.map(\.description)
        }
        #expect(
            messages.contains { message in
                message.contains("shaper") && VNFKind.allCases.allSatisfy { message.contains($0.name) }
            }, "\(messages)")
    }
}
