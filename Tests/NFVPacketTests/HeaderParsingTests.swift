import NFVPacket
import NFVTestSupport
import Testing

/// The parser against frames built by scapy (Tests/Fixtures/generate.py): every offset, field
/// and checksum must match what scapy computed, and every malformed frame must be classified
/// with the reason the RFC rule in headers.json names.
@Suite struct HeaderParsingTests {
    static func parse(_ bytes: [UInt8]) -> (DropReason, PacketMetadata, GuardedBuffer) {
        let buffer = GuardedBuffer(bytes)
        var metadata = PacketMetadata(id: 0, dataOffset: 0, length: UInt16(bytes.count), inPort: 0, timestamp: 0)
        let reason = PacketParser.parse(buffer.start, metadata: &metadata)
        return (reason, metadata, buffer)
    }

    @Test func fixturesAreThere() throws {
        #expect(HeaderCase.good.count >= 19)
        #expect(HeaderCase.malformed.count >= 24)
    }

    @Test(arguments: HeaderCase.good)
    func wellFormedFrame(_ testCase: HeaderCase) throws {
        let (reason, metadata, buffer) = Self.parse(testCase.bytes)
        #expect(reason == .none)
        #expect(metadata.flags.contains(.parsed))
        let frame = buffer.start
        if let l3 = testCase.int("l3_offset") { #expect(Int(metadata.l3Offset) == l3) }
        if let etherType = testCase.int("eth_type") { #expect(Int(metadata.etherType) == etherType) }
        if let vlan = testCase.int("vlan") {
            #expect(metadata.flags.contains(.vlanTagged))
            #expect(Int(metadata.vlanID) == vlan)
        }
        #expect(metadata.flags.contains(.doubleTagged) == (testCase.int("tags") == 2))
        if let fragment = testCase.bool("fragment") { #expect(metadata.flags.contains(.fragment) == fragment) }
        if let later = testCase.bool("later_fragment") { #expect(metadata.flags.contains(.laterFragment) == later) }
        if let proto = testCase.int("ip_proto") { #expect(Int(metadata.ipProtocol) == proto) }
        let l3 = frame + Int(metadata.l3Offset)
        if metadata.flags.contains(.ipv4) {
            let ip = IPv4Header(l3)
            #expect("\(ip.source)" == testCase.string("src"))
            #expect("\(ip.destination)" == testCase.string("dst"))
            #expect(Int(ip.ttl) == testCase.int("ttl"))
            #expect(Int(ip.headerLengthWords) == testCase.int("ihl"))
            #expect(Int(ip.totalLength) == testCase.int("total_length"))
            #expect(Int(ip.checksum) == testCase.int("ip_checksum"))
            #expect(Int(ip.computedChecksum) == testCase.int("ip_checksum"), "full checksum equals scapy's")
            #expect(ip.isChecksumValid)
        } else if metadata.flags.contains(.ipv6) {
            let ip = IPv6Header(l3)
            #expect("\(ip.source)" == testCase.string("src"))
            #expect("\(ip.destination)" == testCase.string("dst"))
            #expect(Int(ip.hopLimit) == testCase.int("hop_limit"))
        } else if metadata.etherType == EtherType.arp {
            let arp = ARPHeader(l3)
            #expect(arp.isEthernetIPv4)
            #expect(Int(arp.operation) == testCase.int("arp_op"))
            #expect("\(arp.senderIP)" == testCase.string("arp_psrc"))
        }
        if let l4 = testCase.int("l4_offset"), !metadata.flags.contains(.laterFragment) {
            #expect(metadata.flags.contains(.hasL4))
            #expect(Int(metadata.l4Offset) == l4)
            let header = frame + l4
            if metadata.ipProtocol == IPProtocol.tcp {
                let tcp = TCPHeader(header)
                #expect(Int(tcp.sourcePort) == testCase.int("sport"))
                #expect(Int(tcp.destinationPort) == testCase.int("dport"))
                #expect(Int(tcp.flags.rawValue) == testCase.int("tcp_flags"))
                #expect(tcp.headerByteCount == testCase.int("tcp_header_length"))
                #expect(Int(tcp.checksum) == testCase.int("l4_checksum"))
                #expect(
                    Int(Self.transportChecksum(frame: frame, metadata: metadata, checksumOffset: 16))
                        == testCase.int("l4_checksum"), "pseudo-header checksum equals scapy's")
            } else if metadata.ipProtocol == IPProtocol.udp {
                let udp = UDPHeader(header)
                #expect(Int(udp.sourcePort) == testCase.int("sport"))
                #expect(Int(udp.destinationPort) == testCase.int("dport"))
                #expect(Int(udp.checksum) == testCase.int("l4_checksum"))
                if udp.checksum != 0, !metadata.flags.contains(.fragment) {
                    #expect(
                        Int(Self.transportChecksum(frame: frame, metadata: metadata, checksumOffset: 6))
                            == testCase.int("l4_checksum"))
                }
            } else if metadata.ipProtocol == IPProtocol.icmp {
                let icmp = ICMPHeader(header)
                #expect(Int(icmp.identifier) == testCase.int("icmp_id"))
                let end = Int(metadata.l3Offset) + Int(IPv4Header(l3).totalLength)
                let stored = icmp.checksum
                let sum = InternetChecksum.sum(UnsafeRawPointer(header), byteCount: end - l4)
                #expect(sum == 0xFFFF, "ICMP checksum verifies")
                #expect(Int(stored) == testCase.int("l4_checksum"))
            }
        }
    }

    /// The TCP/UDP checksum recomputed from scratch over pseudo-header and segment.
    static func transportChecksum(frame: UnsafeMutableRawPointer, metadata: PacketMetadata, checksumOffset: Int) -> UInt16 {
        let l3 = frame + Int(metadata.l3Offset)
        let l4 = frame + Int(metadata.l4Offset)
        let segmentLength: Int
        let pseudo: UInt32
        if metadata.flags.contains(.ipv4) {
            let ip = IPv4Header(l3)
            segmentLength = Int(ip.totalLength) - ip.headerByteCount
            pseudo = InternetChecksum.pseudoHeaderSum(
                source: ip.source, destination: ip.destination,
                protocol: metadata.ipProtocol, length: segmentLength)
        } else {
            let ip = IPv6Header(l3)
            segmentLength = Int(metadata.l3Offset) + 40 + Int(ip.payloadLength) - Int(metadata.l4Offset)
            pseudo = InternetChecksum.pseudoHeaderSum(
                source: ip.source, destination: ip.destination,
                nextHeader: metadata.ipProtocol, length: segmentLength)
        }
        let stored = l4.loadNetworkUInt16(at: checksumOffset)
        l4.storeNetworkUInt16(0, at: checksumOffset)
        defer { l4.storeNetworkUInt16(stored, at: checksumOffset) }
        return InternetChecksum.checksum(UnsafeRawPointer(l4), byteCount: segmentLength, initial: pseudo)
    }

    /// Malformed frames get the fixture's reason. A bad transport header under a valid IP
    /// header does not fail the parse: the packet is described to L3 (no `hasL4`) and the
    /// reason is its `transportProblem`.
    @Test(arguments: HeaderCase.malformed)
    func malformedFrameIsClassified(_ testCase: HeaderCase) throws {
        let (reason, metadata, _) = Self.parse(testCase.bytes)
        let transportReasons: Set<DropReason> = [
            .truncatedTCP, .badTCPDataOffset, .truncatedUDP, .badUDPLength, .truncatedICMP,
            .truncatedICMPv6,
        ]
        if reason == .none {
            #expect(transportReasons.contains(metadata.transportProblem) && !metadata.flags.contains(.hasL4))
            #expect(metadata.flags.contains(.ipv4) || metadata.flags.contains(.ipv6))
            #expect(metadata.transportProblem.name == testCase.string("drop"), "\(testCase.string("rule") ?? "")")
        } else {
            #expect(!transportReasons.contains(reason))
            #expect(reason.name == testCase.string("drop"), "\(testCase.string("rule") ?? "")")
        }
    }

    /// Every prefix of every fixture frame, placed against a guard page: parsing must classify
    /// each one without reading a byte past its end (a read past it would fault).
    @Test func everyTruncationIsClassifiedWithoutReadingPastTheEnd() throws {
        var classified = 0
        for testCase in try HeaderCase.all() {
            for length in 0...testCase.bytes.count {
                let (reason, metadata, _) = Self.parse(Array(testCase.bytes.prefix(length)))
                if reason == .none {
                    #expect(Int(metadata.l3Offset) <= length)
                    if metadata.flags.contains(.hasL4) { #expect(Int(metadata.l4Offset) <= length) }
                } else {
                    classified += 1
                }
            }
        }
        #expect(classified > 300)
    }

    @Test func frameShorterThanEthernetIsTruncated() {
        for length in 0..<14 {
            #expect(Self.parse(Array(repeating: 0xAB, count: length)).0 == .truncatedEthernet)
        }
    }
}
