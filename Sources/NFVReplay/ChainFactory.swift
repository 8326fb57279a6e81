import NFVDescriptors
import NFVPacket
import NFVPipeline

/// Builds runnable chains from descriptors: maps each `vnf:` kind to its stage and puts the
/// ingress parse stage in front (every chain parses at ingress, as a switch would, so stages
/// can rely on the offsets in the metadata).
public enum ChainFactory {
    /// The name of the implicit first stage.
    public static let parseStageName = "parse"

    /// The VNF kinds this build can run.
    public static let knownVNFKinds = ["decrement-ttl", "pass-through"]

    /// Stage names the descriptor may not use, with the reason.
    public static let reservedStageNames = [
        Chain.receiveTracePoint: "it names the chain input trace point",
        parseStageName: "every chain parses at ingress in a stage of that name",
    ]

    /// A loader that knows this build's VNF kinds.
    public static var loader: ChainDescriptorLoader {
        ChainDescriptorLoader(knownVNFKinds: knownVNFKinds, reservedStageNames: reservedStageNames)
    }

    /// The stage for one descriptor entry.
    public static func makeStage(_ descriptor: StageDescriptor) -> any Stage {
        switch descriptor.vnf {
        case "decrement-ttl": DecrementTTLStage(name: descriptor.name)
        case "pass-through": PassThroughStage(name: descriptor.name)
        default: preconditionFailure("the loader accepts only known VNF kinds, got \(descriptor.vnf)")
        }
    }

    /// The chain for `descriptor`: the parse stage, then the descriptor's stages in order.
    public static func makeChain(_ descriptor: ChainDescriptor, pool: PacketPool,
                                 batchCapacity: Int = PacketBatch.defaultCapacity) -> Chain {
        let stages: [any Stage] = [ParseStage(name: parseStageName)] + descriptor.stages.map(makeStage)
        return Chain(stages: stages, pool: pool, batchCapacity: batchCapacity)
    }
}
