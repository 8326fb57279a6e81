import Foundation
import NFVCatalog
import NFVDescriptors
import NFVFlow
import NFVOpenFlow
import NFVPacket
import NFVPipeline
import NFVSwitch

/// What one fuzz target does with an input. Packet targets take the input as an Ethernet
/// frame; stage targets take its first byte as the chain port the frame arrives on and the
/// rest as the frame, and run it through the stage of a shipped chain in a one-packet batch;
/// text targets take it as UTF-8.
enum FuzzTarget: String, CaseIterable {
    case parser
    case icmpQuote = "icmp-quote"
    case replies
    case firewall, router, nat
    case loadBalancer = "load-balancer"
    case `switch`
    case descriptors
    case flowSyntax = "flow-syntax"
    /// OpenFlow messages: decode, and what decodes must encode back to a message that decodes
    /// to the same value.
    case openflow

    /// The shipped chain whose stage a stage target runs.
    var chain: String? {
        switch self {
        case .firewall: "chains/edge-firewall.yaml"
        case .router: "chains/edge-router.yaml"
        case .nat: "chains/edge-nat.yaml"
        case .loadBalancer: "chains/web-front.yaml"
        case .switch: "chains/lab-switch.yaml"
        default: nil
        }
    }
}

/// The state a target keeps across inputs (a stage's tables live on, as in a data plane).
final class FuzzHarness {
    let target: FuzzTarget
    let pool = PacketPool(slotCount: 16_384)
    let batch: PacketBatch
    let chain: Chain?
    let portCount: UInt16
    let stateless = PacketPool(slotCount: 4)
    let output = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 64)
    var clock: UInt64 = 1_700_000_000_000_000_000

    init(target: FuzzTarget, root: String) throws {
        self.target = target
        batch = PacketBatch(pool: pool)
        if let path = target.chain {
            let loaded = try LoadedChain.load(path: "\(root)/\(path)")
            let chain = ChainAssembly.makeChain(loaded, pool: pool)
            // The stage alone behind the parse stage, without the chain's extra stages.
            let stage = chain.stages.first { $0.kind == target.stageKind } ?? chain.stages.last!
            self.chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
            portCount = UInt16(max(loaded.descriptor.ports.count, 1))
        } else {
            chain = nil
            portCount = 1
        }
    }

    func run(_ data: UnsafeBufferPointer<UInt8>) {
        switch target {
        case .parser, .icmpQuote, .replies: packet(data)
        case .descriptors: descriptor(String(decoding: data, as: UTF8.self))
        case .flowSyntax: _ = try? FlowSyntax.parse(String(decoding: data, as: UTF8.self), ports: ["p1": 1, "p2": 2])
        case .openflow: openflow(Array(data))
        default: stage(data)
        }
    }

    /// The OpenFlow codec: whatever decodes round-trips (a message that re-encodes to a value
    /// that differs, or does not decode, is a crash for libFuzzer to keep).
    func openflow(_ bytes: [UInt8]) {
        guard let length = OpenFlowCodec.announcedLength(bytes[...]), length <= bytes.count,
            let frame = try? OpenFlowCodec.decode(bytes[..<length])
        else { return }
        let again = OpenFlowCodec.encode(frame)
        precondition((try? OpenFlowCodec.decode(again[...])) == frame, "an OpenFlow message did not survive encode and decode")
    }

    /// The parser and everything that reads a parsed frame: flow keys and hashes, ICMP quotes,
    /// the reply builders.
    func packet(_ data: UnsafeBufferPointer<UInt8>) {
        guard let base = data.baseAddress else { return }
        let frame = UnsafeMutableRawPointer(mutating: base)  // the builders read it only
        var metadata = PacketMetadata(
            id: 0, dataOffset: 0, length: UInt16(truncatingIfNeeded: min(data.count, 65535)),
            inPort: 0, timestamp: clock)
        guard data.count <= 65535, PacketParser.parse(frame, metadata: &metadata) == .none else { return }
        switch target {
        case .parser:
            if let key = FlowKey(frame: frame, metadata: metadata) {
                _ = key.symmetricHash(with: .process)
                _ = TrackingKey(key)
            }
            _ = TrackingKey(frame: frame, metadata: metadata)
            _ = FlowHash.symmetric(frame: frame, metadata: metadata, hasher: .process)
            _ = SwitchKey(frame: frame, metadata: metadata)
        case .icmpQuote:
            if let quote = ICMPQuote(frame: frame, metadata: metadata) { _ = TrackingKey(quote.key) }
        default:
            guard metadata.l3Offset <= 22 else { return }  // the builders' output holds two VLAN tags
            let source = IPv6Address(ipv4Mapped: IPv4Address(192, 0, 2, 1))
            _ = ReplyBuilder.icmpError(
                type: 3, code: 3, source: metadata.flags.contains(.ipv4) ? source : IPv6Address(high: 0xFE80 << 48, low: 1),
                original: frame, metadata: metadata, output: output)
            if metadata.ipProtocol == IPProtocol.tcp && metadata.flags.contains(.hasL4) {
                _ = ReplyBuilder.tcpReset(original: frame, metadata: metadata, output: output)
            }
        }
    }

    /// A one-packet batch through the stage; what it forwards or emits goes back to the pool.
    func stage(_ data: UnsafeBufferPointer<UInt8>) {
        guard let chain, data.count >= 2, let id = pool.allocate() else { return }
        clock &+= 10_000_000  // 10 ms per packet: timers and timeouts run
        let length = min(data.count - 1, pool.slotByteCount - pool.headroom)
        (pool.slot(id) + pool.headroom).copyMemory(from: data.baseAddress! + 1, byteCount: length)
        _ = batch.append(
            PacketMetadata(
                id: id, dataOffset: UInt16(pool.headroom), length: UInt16(length),
                inPort: UInt16(data[0]) % portCount, timestamp: clock))
        try? chain.run(batch)
        batch.releaseAll()
        chain.emitted.releaseAll()
    }

    /// The descriptor loader of the document's `kind` (the chain loader when it names none of
    /// the VNF kinds), as the orchestrator picks it.
    func descriptor(_ text: String) {
        let file = "fuzz.yaml"
        if text.contains("FirewallConfig") {
            _ = try? FirewallConfigLoader().parse(text, file: file)
        } else if text.contains("RouterConfig") {
            _ = try? RouterConfigLoader().parse(text, file: file)
        } else if text.contains("NatConfig") {
            _ = try? NATConfigLoader().parse(text, file: file)
        } else if text.contains("LoadBalancerConfig") {
            _ = try? LoadBalancerConfigLoader().parse(text, file: file)
        } else if text.contains("SwitchConfig") {
            _ = try? SwitchConfigLoader().parse(text, file: file)
        } else {
            _ = try? LoadedChain.descriptorLoader.parse(text, file: file)
        }
    }
}

extension FuzzTarget {
    /// The `kind` of the stage a stage target runs.
    var stageKind: String {
        switch self {
        case .loadBalancer: "load-balancer"
        default: rawValue
        }
    }
}
