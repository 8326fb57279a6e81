import NFVDescriptors

/// A chain descriptor with the configuration of every stage, all validated.
public struct LoadedChain: Sendable {
    /// The chain.
    public var descriptor: ChainDescriptor
    /// Each stage's configuration by stage name (kinds without a file included).
    public var configurations: [String: VNFConfiguration]
    /// What the workers' stages of this chain share (made once per load).
    public let shared = SharedStageState()

    /// A chain with the configurations of its stages.
    public init(descriptor: ChainDescriptor, configurations: [String: VNFConfiguration]) {
        self.descriptor = descriptor
        self.configurations = configurations
    }

    /// A descriptor loader that knows this build's VNF kinds and reserved stage names.
    public static var descriptorLoader: ChainDescriptorLoader {
        ChainDescriptorLoader(knownVNFKinds: VNFKind.allCases.map(\.name), reservedStageNames: ChainAssembly.reservedStageNames)
    }

    /// Loads the chain in `path` and every configuration its stages reference; every problem
    /// in any of the files is reported at once. `configOverrides` (stage name -> file) replaces
    /// a stage's `config:` path: the orchestrator runs a chain from its frozen copies.
    public static func load(path: String, configOverrides: [String: String] = [:]) throws(DescriptorErrorList) -> LoadedChain {
        var loader = descriptorLoader
        loader.configOverrides = configOverrides
        let descriptor = try loader.load(path: path)
        var errors: [DescriptorError] = []
        var configurations: [String: VNFConfiguration] = [:]
        let portNames = descriptor.ports.map(\.name)
        for (index, stage) in descriptor.stages.enumerated() {
            // The loader accepts only the catalog's kinds.
            guard let kind = VNFKind(rawValue: stage.vnf) else { continue }
            let field = "spec.stages[\(index)].config"
            if let builtIn = kind.builtInConfiguration {
                if stage.config != nil {
                    errors.append(
                        DescriptorError(
                            location: stage.location, field: field,
                            message: "a \(stage.vnf) stage takes no configuration", fix: "remove \"config:\""))
                }
                configurations[stage.name] = builtIn
                continue
            }
            guard let config = stage.config else {
                errors.append(
                    DescriptorError(
                        location: stage.location, field: field,
                        message: "a \(stage.vnf) stage needs a configuration file",
                        fix: "add \"config: ../vnf-configs/NAME.yaml\" (relative to the chain file)"))
                continue
            }
            do {
                var (configuration, references) = try kind.loadConfiguration(path: config)
                // A qos: section's policer polices the traffic entering on its port.
                if let port = stage.ingressPort, case .policer(var policer) = configuration {
                    policer.ingressPort = descriptor.portNumbers[port]
                    configuration = .policer(policer)
                }
                configurations[stage.name] = configuration
                for reference in references where !portNames.contains(reference.name) {
                    let fix =
                        Suggestion.closest(to: reference.name, in: portNames).map { "did you mean \"\($0)\"?" }
                        ?? "chain \(descriptor.name) has ports " + Suggestion.list(portNames)
                    errors.append(
                        DescriptorError(
                            location: reference.location, field: reference.field,
                            message: "chain \(descriptor.name) has no port \"\(reference.name)\"", fix: fix))
                }
            } catch {
                errors += error.errors
            }
        }
        guard errors.isEmpty else { throw DescriptorErrorList(errors) }
        let loaded = LoadedChain(descriptor: descriptor, configurations: configurations)
        // What the data plane would refuse at start is an error here already.
        let workers = descriptor.workerCount
        let steering = WorkerSteering(chain: loaded)
        if workers > 1, let conflict = steering.conflict,
            let stage = descriptor.stages.first(where: { $0.name == steering.conflictingStage })
        {
            throw DescriptorErrorList([
                DescriptorError(
                    location: stage.location, field: "spec.stages[\(descriptor.stages.firstIndex { $0.name == stage.name } ?? 0)]",
                    message: "\(conflict), and the chain runs on \(workers) workers",
                    fix: "give the stages the same inside and outside ports, or run one worker (queues: 1 on the ports)")
            ])
        }
        return loaded
    }
}
