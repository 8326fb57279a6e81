import Foundation
import NFVDescriptors
import NFVIO
import NFVPacket
import NFVPipeline

/// Runs a chain over a capture file and writes what leaves it into another: the engine of
/// `nfv-orch replay`.
public enum Replayer {
    /// What to replay.
    public struct Options: Sendable {
        /// The capture to read; nil means the chain's `pcap-in` port.
        public var inputPath: String?
        /// The capture to write; nil means the chain's `pcap-out` port.
        public var outputPath: String?
        /// Trace point (`rx` or a stage name) -> capture file.
        public var traces: [(point: String, path: String)]
        /// Packets per batch, 1...256.
        public var batchSize: Int

        /// Options; nil paths fall back to the chain's capture ports.
        public init(inputPath: String? = nil, outputPath: String? = nil,
                    traces: [(point: String, path: String)] = [], batchSize: Int = PacketBatch.defaultCapacity) {
            self.inputPath = inputPath
            self.outputPath = outputPath
            self.traces = traces
            self.batchSize = batchSize
        }
    }

    /// Replays `options.inputPath` through `descriptor`'s chain.
    public static func run(_ descriptor: ChainDescriptor, options: Options) throws(ReplayError) -> ReplayReport {
        guard let input = options.inputPath ?? descriptor.firstPort(of: .pcapIn)?.path else {
            throw ReplayError("chain \(descriptor.name) has no pcap-in port: give the capture with --in FILE")
        }
        guard let output = options.outputPath ?? descriptor.firstPort(of: .pcapOut)?.path else {
            throw ReplayError("chain \(descriptor.name) has no pcap-out port: give the output with --out FILE")
        }
        guard (1...PacketBatch.defaultCapacity).contains(options.batchSize) else {
            throw ReplayError("batch size \(options.batchSize) is out of range: use 1 to \(PacketBatch.defaultCapacity)")
        }
        try checkDistinct(input: input, outputs: [("--out", output)] + options.traces.map { ("--trace \($0.point)", $0.path) })
        let pool = PacketPool(slotCount: 4 * PacketBatch.defaultCapacity, slotByteCount: 10_240)
        let chain = ChainFactory.makeChain(descriptor, pool: pool)
        var recorders: [PcapFileSink] = []
        do {
            for (point, path) in options.traces {
                guard chain.tracePoints.contains(point) else {
                    let hint = Suggestion.closest(to: point, in: chain.tracePoints).map { "did you mean \"\($0)\"? " } ?? ""
                    throw ReplayError("unknown trace point \"\(point)\": \(hint)chain \(descriptor.name) has "
                        + chain.tracePoints.joined(separator: ", "))
                }
                let recorder = try PcapFileSink(path: path)
                chain.setTrace(at: point, recorder: recorder)
                recorders.append(recorder)
            }
            let source = try PcapFileSource(path: input, portNumber: 0)
            let sink = try PcapFileSink(path: output)
            let pipeline = Pipeline(source: source, chain: chain, sink: sink, batch: PacketBatch(pool: pool))
            let batches = try pipeline.runUntilExhausted { options.batchSize }
            try sink.flush()
            sink.close()
            for recorder in recorders { recorder.close() }
            return ReplayReport(chainName: descriptor.name, inputPath: input, outputPath: output,
                                source: source.counters, sink: sink.counters, chain: chain, batches: batches)
        } catch let error as PortError {
            throw ReplayError(error.message)
        } catch let error as ReplayError {
            throw error
        } catch {
            throw ReplayError("\(error)")
        }
    }

    /// Refuses outputs that would overwrite the input (it is truncated before it is read) or
    /// each other (two writers corrupt one file).
    static func checkDistinct(input: String, outputs: [(option: String, path: String)]) throws(ReplayError) {
        func identity(_ path: String) -> String {
            let url = URL(fileURLWithPath: path)
            let resolved = url.resolvingSymlinksInPath().path
            if let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
               let device = attributes[.systemNumber], let inode = attributes[.systemFileNumber] {
                return "\(device):\(inode)"
            }
            return resolved
        }
        let inputIdentity = identity(input)
        var seen: [String: String] = [:]
        for (option, path) in outputs where path != "/dev/null" {
            let key = identity(path)
            if key == inputIdentity {
                throw ReplayError("\(option) \(path) is the input capture: writing it would destroy the input; choose another file")
            }
            if let earlier = seen[key] {
                throw ReplayError("\(option) \(path) is also the file of \(earlier): give each output its own file")
            }
            seen[key] = option
        }
    }
}
