import NFVPacket
import NFVRouter
import Testing

/// The trie against a plain longest-match scan over the same routes.
@Suite struct PrefixTrieTests {
    struct Route {
        var high: UInt64
        var low: UInt64
        var length: Int
        var value: UInt32
    }

    static func reference(_ routes: [Route], high: UInt64, low: UInt64, keyBits: Int) -> UInt32? {
        var best: Route?
        for route in routes {
            let prefix = IPPrefix(
                network: IPv6Address(high: route.high, low: route.low),
                length: route.length + (128 - keyBits), isIPv4: keyBits == 32)
            let address = IPv6Address(high: high, low: low)
            if prefix.contains(keyBits == 32 ? IPv6Address(high: 0, low: low & 0xFFFF_FFFF) : address),
                best == nil || route.length >= best!.length
            {
                best = route
            }
        }
        return best?.value
    }

    @Test func ipv4MatchesTheLongestPrefixOfALinearScan() {
        var generator = SystemRandomNumberGenerator()
        var routes: [Route] = [Route(high: 0, low: 0, length: 0, value: 999_999)]
        for value in 0..<3000 {
            let length = [8, 12, 16, 20, 23, 24, 24, 25, 28, 30, 32].randomElement(using: &generator)!
            let address = UInt32.random(in: 0...UInt32.max, using: &generator) & (length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length))
            routes.append(Route(high: 0, low: UInt64(address), length: length, value: UInt32(value)))
        }
        // Unique prefixes only (duplicates: last wins in both, but keep the test simple).
        var seen = Set<String>()
        routes = routes.reversed().filter { seen.insert("\($0.low)/\($0.length)").inserted }.reversed()
        let trie = PrefixTrie(keyBits: 32, routes: routes.map { ((0, $0.low), $0.length, $0.value) })
        for _ in 0..<20_000 {
            var address = UInt32.random(in: 0...UInt32.max, using: &generator)
            if Bool.random(using: &generator), let route = routes.randomElement(using: &generator) {
                // An address inside the route: its prefix bits, random host bits.
                let hostBits = UInt64.random(in: 0...UInt64(UInt32.max), using: &generator) >> UInt64(route.length)
                address = UInt32(route.low) | UInt32(truncatingIfNeeded: hostBits)
            }
            #expect(
                trie.lookup(ipv4: address) == Self.reference(routes, high: 0, low: UInt64(address), keyBits: 32),
                "\(IPv4Address(rawValue: address))")
        }
    }

    @Test func ipv6MatchesTheLongestPrefixOfALinearScan() {
        var generator = SystemRandomNumberGenerator()
        var routes: [Route] = []
        var seen = Set<String>()
        for value in 0..<800 {
            let length = [16, 32, 40, 48, 56, 60, 64, 96, 127, 128].randomElement(using: &generator)!
            let mask = IPPrefix(network: .unspecified, length: length, isIPv4: false).mask
            let high = UInt64(0x2001_0DB8_0000_0000) | UInt64.random(in: 0...0xFFFF_FFFF, using: &generator)
            let low = UInt64.random(in: 0...UInt64.max, using: &generator)
            let route = Route(high: high & mask.high, low: low & mask.low, length: length, value: UInt32(value))
            if seen.insert("\(route.high)/\(route.low)/\(length)").inserted { routes.append(route) }
        }
        let trie = PrefixTrie(keyBits: 128, routes: routes.map { (($0.high, $0.low), $0.length, $0.value) })
        for _ in 0..<5_000 {
            let base = routes.randomElement(using: &generator)!
            let address = IPv6Address(
                high: base.high | (Bool.random(using: &generator) ? UInt64.random(in: 0...0xFF, using: &generator) : 0),
                low: base.low ^ UInt64.random(in: 0...0xFFFF, using: &generator))
            #expect(trie.lookup(ipv6: address) == Self.reference(routes, high: address.high, low: address.low, keyBits: 128), "\(address)")
        }
        #expect(trie.lookup(ipv6: IPv6Address("fe80::1")!) == nil)
    }

    @Test func defaultAndHostRoutes() {
        let trie = PrefixTrie(keyBits: 32, routes: [((0, 0), 0, 1), ((0, 0x0A00_0000), 8, 2), ((0, 0x0A01_0203), 32, 3)])
        #expect(trie.lookup(ipv4: 0x0808_0808) == 1)
        #expect(trie.lookup(ipv4: 0x0A09_0909) == 2)
        #expect(trie.lookup(ipv4: 0x0A01_0203) == 3)
        #expect(trie.lookup(ipv4: 0x0A01_0204) == 2)
        #expect(PrefixTrie(keyBits: 32, routes: []).lookup(ipv4: 1) == nil)
    }
}
