import NFVPacket
import NFVReplay
import NFVTestSupport
import Testing

@Suite struct PacketDissectorTests {
    @Test func fieldsOfATCPSegmentMatchScapy() throws {
        let testCase = try #require(try HeaderCase.all().first { $0.name == "ipv4-tcp-syn-options" })
        let fields = Dictionary(uniqueKeysWithValues: PacketDissector.fields(of: testCase.bytes).map { ($0.name, $0.value) })
        #expect(fields["eth.src"] == "02:00:00:00:00:0a")
        #expect(fields["ipv4.ttl"] == "64")
        #expect(fields["ipv4.src"] == "10.0.0.1")
        #expect(fields["tcp.sport"] == "40000")
        #expect(fields["tcp.flags"] == "S")
        #expect(fields["tcp.options"] == "020405b401030307")  // MSS 1460, NOP, WScale 7 (RFC 9293, RFC 7323)
        #expect(fields["ipv4.checksum"].flatMap { UInt16($0.dropFirst(2), radix: 16) }.map(Int.init) == testCase.int("ip_checksum"))
    }

    @Test func malformedFrameNamesTheReason() throws {
        let testCase = try #require(try HeaderCase.all().first { $0.name == "ipv4-ihl-4" })
        let fields = PacketDissector.fields(of: testCase.bytes)
        #expect(fields.contains(PacketField("malformed", "bad_ipv4_header_length")))
    }

    @Test func paddingBeyondTheIPLengthIsItsOwnField() throws {
        let testCase = try #require(try HeaderCase.all().first { $0.name == "ipv4-with-ethernet-padding" })
        let fields = Dictionary(uniqueKeysWithValues: PacketDissector.fields(of: testCase.bytes).map { ($0.name, $0.value) })
        #expect(fields["payload"] == "70")
        #expect(fields["eth.padding"] == String(repeating: "00", count: 17))
    }
}
