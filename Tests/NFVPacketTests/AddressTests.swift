import NFVPacket
import Testing

@Suite struct AddressTests {
    @Test func ipv4TextForms() {
        #expect(IPv4Address("192.0.2.1")?.rawValue == 0xC000_0201)
        #expect("\(IPv4Address(198, 51, 100, 254))" == "198.51.100.254")
        for bad in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1..2.3", " 1.2.3.4"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
    }

    /// RFC 5952 section 4 recommendations for the text form.
    @Test(arguments: [
        ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
        ("2001:0db8::0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // first of two equal runs
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group stays
        ("0:0:0:0:0:0:0:0", "::"),
        ("::1", "::1"),
        ("fe80::", "fe80::"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("2001:DB8::A", "2001:db8::a"),
    ])
    func ipv6CanonicalText(_ input: String, _ canonical: String) {
        #expect(IPv6Address(input).map { "\($0)" } == canonical)
    }

    @Test func ipv6RejectsMalformedText() {
        for bad in ["", ":", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", "1:2:3:4:5:6:7", "::1.2.3"] {
            #expect(IPv6Address(bad) == nil, "\(bad)")
        }
    }

    @Test func ipv4MappedRoundTrip() {
        let v4 = IPv4Address(10, 1, 2, 3)
        #expect(IPv6Address(ipv4Mapped: v4).ipv4Mapped == v4)
        #expect(IPv6Address("2001:db8::1")?.ipv4Mapped == nil)
    }

    @Test func macAddress() {
        let mac = MACAddress("02:00:5E:10:00:01")
        #expect(mac?.rawValue == 0x0200_5E10_0001)
        #expect(mac.map { "\($0)" } == "02:00:5e:10:00:01")
        #expect(MACAddress.broadcast.isBroadcast && MACAddress.broadcast.isMulticast)
        #expect(MACAddress("01:00:5e:00:00:01")?.isMulticast == true)
        #expect(MACAddress("02:00:00:00:00") == nil)
        #expect(MACAddress("02:00:00:00:00:zz") == nil)
    }
}

@Suite struct IPPrefixTests {
    @Test func parsesBothFamiliesAndRejectsHostBits() {
        #expect(IPPrefix("10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(IPPrefix("2001:db8::/32")?.description == "2001:db8::/32")
        #expect(IPPrefix("192.0.2.7")?.description == "192.0.2.7/32")
        #expect(IPPrefix("0.0.0.0/0")?.contains(IPv6Address(ipv4Mapped: IPv4Address(8, 8, 8, 8))) == true)
        for bad in ["10.0.0.1/8", "10.0.0.0/33", "2001:db8::1/32", "10.0.0.0/", "10.0.0.0/x", "/8", "::/129"] {
            #expect(IPPrefix(bad) == nil, "\(bad)")
        }
    }

    @Test func containmentFollowsTheMask() {
        let prefix = IPPrefix("198.51.100.128/25")!
        #expect(prefix.contains(IPv6Address(ipv4Mapped: IPv4Address(198, 51, 100, 200))))
        #expect(!prefix.contains(IPv6Address(ipv4Mapped: IPv4Address(198, 51, 100, 127))))
        let v6 = IPPrefix("2001:db8:abcd:12::/63")!
        #expect(v6.contains(IPv6Address("2001:db8:abcd:13::1")!))
        #expect(!v6.contains(IPv6Address("2001:db8:abcd:14::1")!))
    }
}

@Suite struct MACWireTests {
    @Test func wireValueRoundTripsThroughFrameBytes() {
        let mac = MACAddress("02:1b:21:aa:bb:cc")!
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes.withUnsafeMutableBytes { buffer in
            MACAddress.storeWire(mac.wireValue, to: buffer.baseAddress!, at: 1)
            #expect(MACAddress(loadingFrom: buffer.baseAddress!, at: 1) == mac)
            #expect(MACAddress.loadWire(from: buffer.baseAddress!, at: 1) == mac.wireValue)
        }
        #expect(bytes == [0, 0x02, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0])
        #expect(mac.wireValue & 1 == 0 && MACAddress.broadcast.wireValue & 1 == 1)
    }
}
