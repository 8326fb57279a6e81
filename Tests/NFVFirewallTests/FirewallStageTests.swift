import NFVDescriptors
import NFVFirewall
import NFVFlow
import NFVIO
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

@Suite struct FirewallStageTests {
    /// Runs the edge firewall stage over the scenario in memory and returns it for inspection.
    static func runScenario() throws -> FirewallStage {
        let loaded = try FirewallConfigLoaderAccess.edgeFirewall()
        let pool = PacketPool(slotCount: 1024)
        let stage = FirewallStage(name: "fw", configuration: loaded, portIndex: ["inside": 0, "outside": 1])
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let inside = try PcapFileSource(path: Fixtures.path("firewall-inside-rx.pcap"), portNumber: 0)
        let outside = try PcapFileSource(path: Fixtures.path("firewall-outside-rx.pcap"), portNumber: 1)
        let sinks = [MemoryPort(portNumber: 0), MemoryPort(portNumber: 1)]
        try Pipeline(
            sources: [TimeOrderedSource(sources: [inside, outside])], chain: chain, sinks: sinks,
            batch: PacketBatch(pool: pool)
        ).runUntilExhausted()
        #expect(pool.availableCount == 1024)
        return stage
    }

    /// Rule hits counted by hand from the scenario in Tests/Fixtures/generate.py.
    @Test func ruleHitCountersCountEveryPacketOfTheConnectionsTheyAllowed() throws {
        let stage = try Self.runScenario()
        let names = stage.configuration.rules.map(\.name)
        func hits(_ name: String) -> UInt64 { stage.counters.hits(rule: names.firstIndex(of: name)!).packets }
        #expect(hits("allow-web") == 8 + 3)  // the IPv4 session (8) and the IPv6 handshake (3)
        #expect(hits("allow-dns") == 2)
        #expect(hits("allow-ping") == 2)
        #expect(hits("allow-ping6") == 2)
        #expect(hits("allow-arp") == 2)
        #expect(hits("reject-smtp") == 1 && hits("reject-tftp") == 1 && hits("block-telnet") == 1)
        #expect(hits("allow-nd") == 1 && hits("allow-na") == 1)
        #expect(stage.counters.defaultHits.packets == 2)  // the unsolicited SYNs, v4 and v6
        #expect(stage.counters.related == 1)
        #expect(stage.counters.hits(rule: names.firstIndex(of: "allow-web")!).bytes > 0)
        let tracker = try #require(stage.tracker)
        #expect(tracker.counters.created == 5)  // web v4, dns, ping, web v6, ping6
        #expect(tracker.counters.invalid == 3)  // mid-stream ACK, stray ICMP error, unsolicited echo reply
    }
}

/// Reads the shipped configuration through the real loader.
enum FirewallConfigLoaderAccess {
    static func edgeFirewall() throws -> FirewallConfiguration {
        try FirewallConfigLoader().load(path: Fixtures.root.appendingPathComponent("vnf-configs/edge-firewall.yaml").path).configuration
    }
}

/// Live rule updates in the middle of the scenario: counters follow rule names, connections
/// opened before the update keep passing and keep counting where they belong.
@Suite struct FirewallLiveUpdateTests {
    /// Runs the scenario one packet per round, calling `update` before packet `at`.
    static func run(updateAt at: Int, _ update: (FirewallStage) throws -> Void) throws -> (FirewallStage, [MemoryPort]) {
        let pool = PacketPool(slotCount: 1024)
        let stage = FirewallStage(
            name: "fw", configuration: try FirewallConfigLoaderAccess.edgeFirewall(),
            portIndex: ["inside": 0, "outside": 1])
        let chain = Chain(stages: [ParseStage(), stage], pool: pool, ingressStageCount: 1)
        let inside = try PcapFileSource(path: Fixtures.path("firewall-inside-rx.pcap"), portNumber: 0)
        let outside = try PcapFileSource(path: Fixtures.path("firewall-outside-rx.pcap"), portNumber: 1)
        let source = TimeOrderedSource(sources: [inside, outside])
        let sinks = [MemoryPort(portNumber: 0), MemoryPort(portNumber: 1)]
        let pipeline = Pipeline(sources: [source], chain: chain, sinks: sinks, batch: PacketBatch(pool: pool))
        var round = 0
        while !source.isExhausted {
            if round == at { try update(stage) }
            try pipeline.runRound(nextBatchSize: { 1 })
            round += 1
        }
        return (stage, sinks)
    }

    func hits(_ stage: FirewallStage, _ name: String) -> UInt64 {
        stage.configuration.rules.firstIndex { $0.name == name }.map { stage.counters.hits(rule: $0).packets } ?? 0
    }

    @Test func countersFollowRuleNamesWhenRulesBeforeThemGo() throws {
        let (baseline, baselineSinks) = try Self.run(updateAt: -1) { _ in }
        var smaller = try FirewallConfigLoaderAccess.edgeFirewall()
        // Two rules before allow-web go, so allow-web moves from index 4 to index 2.
        smaller.rules.removeAll { $0.name == "reject-tftp" || $0.name == "allow-arp" }
        let (stage, sinks) = try Self.run(updateAt: 6) { try $0.update(to: smaller) }
        #expect(stage.updateCount == 1)
        #expect(hits(stage, "allow-web") == hits(baseline, "allow-web"), "every web packet counted under allow-web")
        #expect(hits(stage, "allow-dns") == hits(baseline, "allow-dns"))
        #expect(stage.tracker?.counters.invalid == baseline.tracker?.counters.invalid)
        #expect(sinks[1].transmitted.count <= baselineSinks[1].transmitted.count)
    }

    @Test func connectionsOfARemovedRuleKeepPassingAndCountAsRetired() throws {
        let (baseline, baselineSinks) = try Self.run(updateAt: -1) { _ in }
        var withoutWeb = try FirewallConfigLoaderAccess.edgeFirewall()
        withoutWeb.rules.removeAll { $0.name == "allow-web" }
        // Well into the IPv4 web session: its connection exists, its rule goes.
        let (stage, sinks) = try Self.run(updateAt: 6) { try $0.update(to: withoutWeb) }
        // All 8 packets of the IPv4 session passed; its counts moved with the rule into the
        // retired slot, and its later packets kept counting there.
        #expect(stage.counters.retiredHits.packets == 8, "the IPv4 web session, whole")
        // The IPv6 handshake starts after the update: its SYN meets the default drop, so its
        // SYN-ACK and ACK find no connection (2 more invalid than the baseline's 3).
        #expect(stage.tracker?.counters.invalid == (baseline.tracker?.counters.invalid ?? 0) + 2)
        #expect(stage.counters.defaultHits.packets == baseline.counters.defaultHits.packets + 1)
        // New web connections after the update are refused (the IPv6 handshake), nothing else changes.
        #expect(sinks[1].transmitted.count < baselineSinks[1].transmitted.count)
        var refused = try FirewallConfigLoaderAccess.edgeFirewall()
        refused.stateful = false
        #expect(throws: FirewallStage.UpdateError.self) { try stage.update(to: refused) }
    }
}
