import NFVCatalog
import NFVDataplane
import NFVIO
import NFVPacket
import NFVTestSupport
import Testing

/// Steering on two workers for chains/edge-gateway.yaml (firewall -> router -> NAT): what must
/// meet on one worker does, whatever the kernel's queue choice.
@Suite struct FlowSteeringTests {
    static let chain = try! LoadedChain.load(path: Fixtures.root.appendingPathComponent("chains/edge-gateway.yaml").path)
    static let rules = WorkerSteering(chain: chain)
    static let hasher = TableHash(seed: 7)

    static func owner(_ frame: MemoryPort.Frame, inPort: UInt16, fragments: FragmentOwners? = nil) -> Int? {
        var bytes = frame.bytes
        let metadata = PacketMetadata(id: 0, dataOffset: 0, length: UInt16(bytes.count), inPort: inPort, timestamp: 0)
        let target = bytes.withUnsafeMutableBytes { buffer in
            FlowSteering.target(
                frame: buffer.baseAddress!, metadata: metadata, workerCount: 2, hasher: hasher, rules: rules, fragments: fragments)
        }
        if case .worker(let owner) = target { return owner }
        return nil
    }

    static func tcp(_ source: IPv4Address, _ sourcePort: UInt16, _ destination: IPv4Address, _ port: UInt16) -> MemoryPort.Frame {
        TestFrame.ipv4(from: source, to: destination, ipProtocol: IPProtocol.tcp, sourcePort: sourcePort, destinationPort: port)
    }

    @Test func theNATsSidesAndPoolAreKnown() {
        #expect(Self.rules.sides == [.inside, .outside])
        #expect(Self.rules.natAddresses == [IPv4Address(198, 51, 100, 2).rawValue])
        #expect(Self.rules.conflict == nil)
    }

    @Test func bothDirectionsOfATranslatedConnectionMeetOneWorker() {
        let host = IPv4Address(10, 0, 1, 10)
        let poolAddress = IPv4Address(198, 51, 100, 2)
        let remote = IPv4Address(203, 0, 113, 5)
        var owners: Set<Int> = []
        for port in UInt16(40000)..<40064 {
            let outbound = Self.owner(Self.tcp(host, port, remote, 80), inPort: 0)!
            owners.insert(outbound)
            // Endpoint-independent mapping: the same inside endpoint to another host, same worker.
            #expect(Self.owner(Self.tcp(host, port, IPv4Address(192, 0, 2, 1), 443), inPort: 0) == outbound)
            // The reply to the NAT's port goes to the worker that owns the port.
            #expect(Self.owner(Self.tcp(remote, 80, poolAddress, port), inPort: 1) == Int(port) % 2)
            // Untranslated traffic back to the inside endpoint meets its owner.
            #expect(Self.owner(Self.tcp(remote, 80, host, port), inPort: 1) == outbound)
        }
        #expect(owners == [0, 1], "inside endpoints spread over both workers")
        // The port forward 198.51.100.2:8080 -> 10.0.1.10:80: a client's SYN and the answer.
        for port in UInt16(50000)..<50016 {
            let client = IPv4Address(203, 0, 113, 9)
            #expect(Self.owner(Self.tcp(client, port, poolAddress, 8080), inPort: 1) == Self.owner(Self.tcp(host, 80, client, port), inPort: 0))
        }
        // Hairpinning: another inside host reaches the forward; the NAT translates both ends,
        // so the request goes to the forward's worker and the answer (to the NAT port that
        // worker gave the client) to the port's owner, the same worker.
        let forwardOwner = Self.owner(Self.tcp(host, 80, IPv4Address(203, 0, 113, 9), 50000), inPort: 0)
        for port in UInt16(41000)..<41016 {
            let request = Self.owner(Self.tcp(IPv4Address(10, 0, 1, 20), port, poolAddress, 8080), inPort: 0)
            #expect(request == forwardOwner)
            #expect(Self.owner(Self.tcp(host, 80, poolAddress, port), inPort: 0) == Int(port) % 2)
        }
    }

    @Test func laterFragmentsFollowTheFirst() {
        let fragments = FragmentOwners()
        let host = IPv4Address(10, 0, 1, 10)
        let remote = IPv4Address(203, 0, 113, 5)
        for identification in UInt16(1)...32 {
            let first = TestFrame.ipv4(
                from: host, to: remote, ipProtocol: IPProtocol.udp, sourcePort: 5000 + identification, destinationPort: 53,
                identification: identification, fragment: 0x2000, transportBytes: 64)
            let later = TestFrame.ipv4(
                from: host, to: remote, ipProtocol: IPProtocol.udp, identification: identification, fragment: 8, transportBytes: 40)
            let owner = Self.owner(first, inPort: 0, fragments: fragments)
            #expect(owner == Self.owner(Self.udp(host, 5000 + identification, remote, 53), inPort: 0), "the first fragment goes with its flow")
            #expect(Self.owner(later, inPort: 0, fragments: fragments) == owner, "datagram \(identification)")
        }
    }

    static func udp(_ source: IPv4Address, _ sourcePort: UInt16, _ destination: IPv4Address, _ port: UInt16) -> MemoryPort.Frame {
        TestFrame.ipv4(from: source, to: destination, ipProtocol: IPProtocol.udp, sourcePort: sourcePort, destinationPort: port)
    }
}
