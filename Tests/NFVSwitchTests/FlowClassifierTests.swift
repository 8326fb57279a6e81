import NFVPacket
import NFVSwitch
import NFVTestSupport
import Testing

/// Tuple space search against the obvious reference: a linear scan for the highest priority
/// (the earliest flow on a tie), over random flows with OpenFlow-shaped masks and random keys
/// drawn near the flows' values (so most lookups match something).
@Suite struct FlowClassifierTests {
    typealias Generator = SeededGenerator

    static func randomFlow(_ random: inout Generator, index: Int) -> FlowEntry {
        var match = FlowMatch()
        if Bool.random(using: &random) { match.setInPort(UInt16.random(in: 1...4, using: &random)) }
        switch Int.random(in: 0..<4, using: &random) {
        case 0: break
        case 1: match.setEthDst(UInt64.random(in: 1...8, using: &random))
        default:
            match.setEthType(EtherType.ipv4)
            if Bool.random(using: &random) { match.setIPProtocol([IPProtocol.tcp, IPProtocol.udp].randomElement(using: &random)!) }
            let length = [8, 16, 24, 32].randomElement(using: &random)!
            let address = IPv4Address(
                10, UInt8.random(in: 0...3, using: &random), UInt8.random(in: 0...3, using: &random),
                UInt8.random(in: 0...3, using: &random))
            match.setIPDestination(IPPrefix(network: IPv6Address(ipv4Mapped: address), length: 96 + length, isIPv4: true))
            if match.mask.ipProtocol != 0, Bool.random(using: &random) {
                match.setTransportDestination(UInt16.random(in: 79...81, using: &random))
            }
        }
        return FlowEntry(priority: UInt16.random(in: 1...20, using: &random), match: match, actions: [.output(UInt16(index % 4 + 1))])
    }

    static func randomKey(_ random: inout Generator) -> SwitchKey {
        var key = SwitchKey()
        key.inPort = UInt16.random(in: 1...4, using: &random)
        key.ethDst = UInt64.random(in: 1...8, using: &random)
        key.ethType = Bool.random(using: &random) ? EtherType.ipv4 : EtherType.arp
        key.ipProtocol = [IPProtocol.tcp, IPProtocol.udp].randomElement(using: &random)!
        key.ipDestination = IPv6Address(
            ipv4Mapped: IPv4Address(
                10, UInt8.random(in: 0...3, using: &random),
                UInt8.random(in: 0...3, using: &random), UInt8.random(in: 0...3, using: &random)))
        key.transportDestination = UInt16.random(in: 79...81, using: &random)
        return key
    }

    static func reference(_ flows: [FlowEntry], _ key: SwitchKey) -> Int {
        var best = -1
        for (index, flow) in flows.enumerated() where flow.match.matches(key) {
            if best < 0 || flow.priority > flows[best].priority { best = index }
        }
        return best
    }

    @Test func agreesWithALinearScan() {
        var random = Generator(seed: 0x5DEE_CE66_D1CE_4E5D)
        for round in 0..<20 {
            let flows = (0..<(round * 50 + 10)).map { Self.randomFlow(&random, index: $0) }
            let classifier = FlowClassifier(flows: flows)
            var matched = 0
            for _ in 0..<500 {
                let key = Self.randomKey(&random)
                let expected = Self.reference(flows, key)
                #expect(classifier.lookup(key) == expected)
                if expected >= 0 { matched += 1 }
            }
            #expect(matched > 100, "the keys exercise matches, not only misses")
        }
    }

    /// 10,000 flows that differ in addresses and ports share a few masks: the lookup visits
    /// subtables, not flows.
    @Test func tenThousandFlowsShareFewSubtables() {
        var flows: [FlowEntry] = []
        for index in 0..<10_000 {
            var match = FlowMatch()
            match.setEthType(EtherType.ipv4)
            match.setIPProtocol(IPProtocol.tcp)
            match.setIPDestination(IPPrefix("10.\(index / 256 % 256).\(index % 256).0/24")!)
            match.setTransportDestination(UInt16(1000 + index % 50))
            flows.append(FlowEntry(priority: 100, match: match, actions: [.output(2)]))
        }
        let classifier = FlowClassifier(flows: flows)
        #expect(classifier.subtableCount == 1)
        var key = SwitchKey()
        key.ethType = EtherType.ipv4
        key.ipProtocol = IPProtocol.tcp
        key.ipDestination = IPv6Address(ipv4Mapped: IPv4Address(10, 0, 77, 5))
        key.transportDestination = UInt16(1000 + 77 % 50)
        #expect(classifier.lookup(key) == 77)
    }
}
