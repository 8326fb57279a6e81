import Foundation
import NFVCatalog
import NFVDescriptors
import NFVIO
import NFVPacket
import NFVPipeline

/// Runs a chain over capture files and writes what leaves it: the engine of `nfv-orch replay`.
///
/// Every port with an `rx` capture feeds the chain (several are merged in timestamp order);
/// every packet leaves on its out port and is written to that port's `tx` capture, or counted
/// as unsent when the port has none.
public enum Replayer {
    /// What to replay.
    public struct Options: Sendable {
        /// The capture arriving on the first port; nil means the chain's own.
        public var inputPath: String?
        /// The capture written by the second port (where first-port traffic leaves); nil
        /// means the chain's own.
        public var outputPath: String?
        /// Trace point (`rx` or a stage name) -> capture file.
        public var traces: [(point: String, path: String)]
        /// Packets per batch, 1...256.
        public var batchSize: Int

        /// Options; nil paths fall back to the chain's capture ports.
        public init(
            inputPath: String? = nil, outputPath: String? = nil,
            traces: [(point: String, path: String)] = [], batchSize: Int = PacketBatch.defaultCapacity
        ) {
            self.inputPath = inputPath
            self.outputPath = outputPath
            self.traces = traces
            self.batchSize = batchSize
        }
    }

    /// The ports of a replay: the chain's, with the overrides applied, at least two.
    public static func ports(of descriptor: ChainDescriptor, options: Options) -> [ReplayReport.Port] {
        var ports = descriptor.ports.map { ReplayReport.Port(name: $0.name, receivePath: $0.receivePath, transmitPath: $0.transmitPath) }
        while ports.count < 2 { ports.append(ReplayReport.Port(name: ports.isEmpty ? "in" : "out")) }
        if let input = options.inputPath { ports[0].receivePath = input }
        if let output = options.outputPath { ports[1].transmitPath = output }
        return ports
    }

    /// Replays the chain's captures through `loaded`'s chain.
    public static func run(_ loaded: LoadedChain, options: Options) throws(ReplayError) -> ReplayReport {
        let descriptor = loaded.descriptor
        var ports = ports(of: descriptor, options: options)
        guard ports.contains(where: { $0.receivePath != nil }) else {
            throw ReplayError("chain \(descriptor.name) has no capture to read: give one with --in FILE or an rx port")
        }
        guard (1...PacketBatch.defaultCapacity).contains(options.batchSize) else {
            throw ReplayError("batch size \(options.batchSize) is out of range: use 1 to \(PacketBatch.defaultCapacity)")
        }
        var outputs: [(String, String)] = ports.compactMap { port in port.transmitPath.map { ("port \(port.name) tx", $0) } }
        outputs += options.traces.map { ("--trace \($0.point)", $0.path) }
        for port in ports {
            if let input = port.receivePath { try checkDistinct(input: input, outputs: outputs) }
        }
        try checkDistinct(input: nil, outputs: outputs)
        // Slots hold super-frames: captures taken where the kernel offloads have them.
        let pool = PacketPool(slotCount: 8 * PacketBatch.defaultCapacity, slotByteCount: PacketPool.superFrameSlotByteCount)
        let chain = ChainAssembly.makeChain(loaded, pool: pool)
        var recorders: [PcapFileSink] = []
        do {
            for (point, path) in options.traces {
                guard chain.tracePoints.contains(point) else {
                    let hint = Suggestion.closest(to: point, in: chain.tracePoints).map { "did you mean \"\($0)\"? " } ?? ""
                    throw ReplayError(
                        "unknown trace point \"\(point)\": \(hint)chain \(descriptor.name) has "
                            + chain.tracePoints.joined(separator: ", "))
                }
                let recorder = try PcapFileSink(path: path)
                chain.setTrace(at: point, recorder: recorder)
                recorders.append(recorder)
            }
            var readers: [PcapFileSource] = []
            for (index, port) in ports.enumerated() {
                guard let path = port.receivePath else { continue }
                let mtu = loaded.descriptor.ports[index].captureMTU
                readers.append(try PcapFileSource(path: path, portNumber: UInt16(index), superFrameMTU: mtu))
            }
            var writers: [PcapFileSink?] = []
            for port in ports {
                writers.append(try port.transmitPath.map { path throws(PortError) in try PcapFileSink(path: path) })
            }
            let source: any PacketSource = readers.count == 1 ? readers[0] : TimeOrderedSource(sources: readers)
            let pipeline = Pipeline(sources: [source], chain: chain, sinks: writers, batch: PacketBatch(pool: pool))
            let batches = try pipeline.runUntilExhausted { options.batchSize }
            for writer in writers {
                try writer?.flush()
                writer?.close()
            }
            for recorder in recorders { recorder.close() }
            for (index, reader) in readers.enumerated() {
                let port = Int(reader.portNumber)
                ports[port].receivedPackets = reader.counters.receivedPackets
                ports[port].receivedBytes = reader.counters.receivedBytes
                _ = index
            }
            for (index, writer) in writers.enumerated() {
                guard let writer else { continue }
                ports[index].transmittedPackets = writer.counters.transmittedPackets
                ports[index].transmittedBytes = writer.counters.transmittedBytes
            }
            var portDrops: [String: UInt64] = [:]
            for counters in readers.map(\.counters) + [(source as? TimeOrderedSource)?.counters].compactMap({ $0 }) {
                for (reason, count) in counters.drops.nonZero { portDrops[reason.name, default: 0] += count }
            }
            return ReplayReport(
                chainName: descriptor.name, ports: ports, portDrops: portDrops,
                unsentPackets: pipeline.unsentCounters.transmittedPackets, chain: chain, batches: batches)
        } catch let error as PortError {
            throw ReplayError(error.message)
        } catch let error as ReplayError {
            throw error
        } catch {
            throw ReplayError("\(error)")
        }
    }

    /// Refuses outputs that would overwrite an input (it is truncated before it is read) or
    /// each other (two writers corrupt one file).
    static func checkDistinct(input: String?, outputs: [(option: String, path: String)]) throws(ReplayError) {
        func identity(_ path: String) -> String {
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            if let attributes = try? FileManager.default.attributesOfItem(atPath: resolved),
                let device = attributes[.systemNumber], let inode = attributes[.systemFileNumber]
            {
                return "\(device):\(inode)"
            }
            return resolved
        }
        let inputIdentity = input.map(identity)
        var seen: [String: String] = [:]
        for (option, path) in outputs where path != "/dev/null" {
            let key = identity(path)
            if key == inputIdentity, let input {
                throw ReplayError("\(option) \(path) is the input capture \(input): writing it would destroy the input; choose another file")
            }
            if let earlier = seen[key] {
                throw ReplayError("\(option) \(path) is also the file of \(earlier): give each output its own file")
            }
            seen[key] = option
        }
    }
}
