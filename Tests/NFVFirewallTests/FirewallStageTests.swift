import NFVFirewall
import NFVFlow
import NFVIO
import NFVPacket
import NFVPipeline
import NFVTestSupport
import NFVDescriptors
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
        try Pipeline(sources: [TimeOrderedSource(sources: [inside, outside])], chain: chain, sinks: sinks,
                     batch: PacketBatch(pool: pool)).runUntilExhausted()
        #expect(pool.availableCount == 1024)
        return stage
    }

    /// Rule hits counted by hand from the scenario in Tests/Fixtures/generate.py.
    @Test func ruleHitCountersCountEveryPacketOfTheConnectionsTheyAllowed() throws {
        let stage = try Self.runScenario()
        let names = stage.configuration.rules.map(\.name)
        func hits(_ name: String) -> UInt64 { stage.counters.hits(rule: names.firstIndex(of: name)!).packets }
        #expect(hits("allow-web") == 8 + 3)    // the IPv4 session (8) and the IPv6 handshake (3)
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
