import NFVDescriptors
import NFVPacket
import NFVPipeline

/// Builds runnable chains from loaded descriptors: the ingress parse stage first (every chain
/// parses at ingress, as a switch would, so stages can rely on the offsets in the metadata),
/// then each descriptor stage as its configuration builds it; with `paths:`, the service-path
/// classifier and gates around the stages (`ServicePaths`). A linear chain whose stages can all
/// vouch for established flows caches them (`FastPath`, sized by `spec.flowCache`).
public enum ChainAssembly {
    /// The name of the implicit first stage.
    public static let parseStageName = "parse"

    /// Stage names the descriptor may not use, with the reason.
    public static let reservedStageNames = [
        Chain.receiveTracePoint: "it names the chain input trace point",
        parseStageName: "every chain parses at ingress in a stage of that name",
        ServicePaths.classifierStageName: "a chain with paths classifies traffic into them in a stage of that name",
        ServicePaths.egressStageName: "a chain with paths records its connections' paths in a stage of that name",
    ]

    /// The stage for one descriptor entry of `chain`.
    public static func makeStage(_ stage: StageDescriptor, chain: LoadedChain, context: StageContext? = nil) -> any Stage {
        guard let configuration = chain.configurations[stage.name] else {
            preconditionFailure("stage \(stage.name) has no configuration; LoadedChain.load gives every stage one")
        }
        return configuration.makeStage(name: stage.name, context: context ?? StageContext(chain: chain))
    }

    /// The chain for `loaded`: the parse stage, then the descriptor's stages in order. With
    /// `paths:`, a switch stage after parse classifies each packet into a path (generated
    /// flows: one per path and direction, by priority; unmatched traffic dropped or switched),
    /// and each stage only takes the paths that list it.
    public static func makeChain(
        _ loaded: LoadedChain, pool: PacketPool,
        batchCapacity: Int = PacketBatch.defaultCapacity, worker: WorkerShare = WorkerShare()
    ) -> Chain {
        var context = StageContext(chain: loaded)
        context.worker = worker
        let stages = loaded.descriptor.stages.map { makeStage($0, chain: loaded, context: context) }
        if !loaded.descriptor.paths.isEmpty {
            return ServicePaths.makeChain(loaded.descriptor, stages: stages, pool: pool, batchCapacity: batchCapacity)
        }
        return Chain(
            stages: [ParseStage(name: parseStageName)] + stages, pool: pool, batchCapacity: batchCapacity,
            ingressStageCount: 1, fastPathCapacity: loaded.descriptor.flowCache ?? FlowCache.defaultCapacity)
    }
}
