import NFVPacket

/// The rules of a configuration compiled into flat arrays for evaluation: no Swift arrays,
/// strings or optionals are touched per packet. First match wins.
public final class FirewallRuleSet {
    @usableFromInline struct Rule {
        @usableFromInline var tests: UInt32
        @usableFromInline var inPort: UInt16
        @usableFromInline var outPort: UInt16
        @usableFromInline var etherType: UInt16
        @usableFromInline var vlanID: UInt16
        @usableFromInline var ipProtocol: UInt8
        @usableFromInline var tcpFlagsSet: UInt8
        @usableFromInline var tcpFlagsClear: UInt8
        @usableFromInline var icmpType: UInt8
        @usableFromInline var icmpCode: UInt8
        @usableFromInline var sourcePrefixes: Range<Int32>
        @usableFromInline var destinationPrefixes: Range<Int32>
        @usableFromInline var sourcePorts: Range<Int32>
        @usableFromInline var destinationPorts: Range<Int32>
    }

    @usableFromInline struct Prefix {
        @usableFromInline var high: UInt64
        @usableFromInline var low: UInt64
        @usableFromInline var maskHigh: UInt64
        @usableFromInline var maskLow: UInt64
        @usableFromInline var isIPv4: Bool
    }

    @usableFromInline enum Test {
        @usableFromInline static let inPort: UInt32 = 1 << 0
        @usableFromInline static let outPort: UInt32 = 1 << 1
        @usableFromInline static let etherType: UInt32 = 1 << 2
        @usableFromInline static let vlan: UInt32 = 1 << 3
        @usableFromInline static let ipProtocol: UInt32 = 1 << 4
        @usableFromInline static let sourcePrefix: UInt32 = 1 << 5
        @usableFromInline static let destinationPrefix: UInt32 = 1 << 6
        @usableFromInline static let sourcePort: UInt32 = 1 << 7
        @usableFromInline static let destinationPort: UInt32 = 1 << 8
        @usableFromInline static let tcpFlags: UInt32 = 1 << 9
        @usableFromInline static let icmpType: UInt32 = 1 << 10
        @usableFromInline static let icmpCode: UInt32 = 1 << 11
        /// Any test that needs an IP packet.
        @usableFromInline static let needsIP: UInt32 =
            ipProtocol | sourcePrefix | destinationPrefix
            | sourcePort | destinationPort | tcpFlags | icmpType | icmpCode
    }

    /// How many rules.
    public let count: Int
    @usableFromInline let rules: UnsafeMutablePointer<Rule>
    @usableFromInline let prefixes: UnsafeMutablePointer<Prefix>
    @usableFromInline let portRanges: UnsafeMutablePointer<PortRange>

    /// Compiles `rules`; `portIndex` maps port names to chain port numbers (names it does not
    /// know never match).
    public init(rules: [FirewallRule], portIndex: [String: UInt16]) {
        count = rules.count
        self.rules = .allocate(capacity: max(rules.count, 1))
        let prefixCount = rules.reduce(0) { $0 + $1.match.sourcePrefixes.count + $1.match.destinationPrefixes.count }
        let portCount = rules.reduce(0) { $0 + $1.match.sourcePorts.count + $1.match.destinationPorts.count }
        prefixes = .allocate(capacity: max(prefixCount, 1))
        portRanges = .allocate(capacity: max(portCount, 1))
        var nextPrefix: Int32 = 0
        var nextPort: Int32 = 0
        func addPrefixes(_ list: [IPPrefix]) -> Range<Int32> {
            let start = nextPrefix
            for prefix in list {
                let mask = prefix.mask
                (prefixes + Int(nextPrefix)).initialize(
                    to: Prefix(
                        high: prefix.network.high, low: prefix.network.low,
                        maskHigh: mask.high, maskLow: mask.low, isIPv4: prefix.isIPv4))
                nextPrefix += 1
            }
            return start..<nextPrefix
        }
        func addPorts(_ list: [PortRange]) -> Range<Int32> {
            let start = nextPort
            for range in list {
                (portRanges + Int(nextPort)).initialize(to: range)
                nextPort += 1
            }
            return start..<nextPort
        }
        for (index, rule) in rules.enumerated() {
            let match = rule.match
            var tests: UInt32 = 0
            if match.inPort != nil { tests |= Test.inPort }
            if match.outPort != nil { tests |= Test.outPort }
            if match.etherType != nil { tests |= Test.etherType }
            if match.vlanID != nil { tests |= Test.vlan }
            if match.ipProtocol != nil { tests |= Test.ipProtocol }
            if !match.sourcePrefixes.isEmpty { tests |= Test.sourcePrefix }
            if !match.destinationPrefixes.isEmpty { tests |= Test.destinationPrefix }
            if !match.sourcePorts.isEmpty { tests |= Test.sourcePort }
            if !match.destinationPorts.isEmpty { tests |= Test.destinationPort }
            if match.tcpFlagsSet.rawValue | match.tcpFlagsClear.rawValue != 0 { tests |= Test.tcpFlags }
            if match.icmpType != nil { tests |= Test.icmpType }
            if match.icmpCode != nil { tests |= Test.icmpCode }
            (self.rules + index).initialize(
                to: Rule(
                    tests: tests,
                    inPort: match.inPort.map { portIndex[$0] ?? UInt16.max } ?? 0,
                    outPort: match.outPort.map { portIndex[$0] ?? UInt16.max } ?? 0,
                    etherType: match.etherType ?? 0, vlanID: match.vlanID ?? 0, ipProtocol: match.ipProtocol ?? 0,
                    tcpFlagsSet: match.tcpFlagsSet.rawValue, tcpFlagsClear: match.tcpFlagsClear.rawValue,
                    icmpType: match.icmpType ?? 0, icmpCode: match.icmpCode ?? 0,
                    sourcePrefixes: addPrefixes(match.sourcePrefixes), destinationPrefixes: addPrefixes(match.destinationPrefixes),
                    sourcePorts: addPorts(match.sourcePorts), destinationPorts: addPorts(match.destinationPorts)))
        }
    }

    deinit {
        rules.deallocate()
        prefixes.deallocate()
        portRanges.deallocate()
    }

    /// The index of the first rule `packet` matches, or -1.
    @inlinable
    public func firstMatch(_ packet: FirewallPacket) -> Int {
        for index in 0..<count {
            if matches(rules[index], packet) { return index }
        }
        return -1
    }

    @inlinable
    func matches(_ rule: Rule, _ packet: FirewallPacket) -> Bool {
        let tests = rule.tests
        if tests == 0 { return true }
        if tests & Test.inPort != 0 && rule.inPort != packet.inPort { return false }
        if tests & Test.outPort != 0 && rule.outPort != packet.outPort { return false }
        if tests & Test.etherType != 0 && rule.etherType != packet.etherType { return false }
        if tests & Test.vlan != 0 && rule.vlanID != packet.vlanID { return false }
        if tests & Test.needsIP != 0 && !packet.isIP { return false }
        if tests & Test.ipProtocol != 0 && rule.ipProtocol != packet.ipProtocol { return false }
        if tests & Test.sourcePrefix != 0
            && !anyPrefix(rule.sourcePrefixes, high: packet.sourceHigh, low: packet.sourceLow, isIPv4: packet.isIPv4)
        {
            return false
        }
        if tests & Test.destinationPrefix != 0
            && !anyPrefix(
                rule.destinationPrefixes, high: packet.destinationHigh, low: packet.destinationLow,
                isIPv4: packet.isIPv4)
        {
            return false
        }
        if tests & (Test.sourcePort | Test.destinationPort) != 0 {
            guard packet.hasPorts else { return false }
            if tests & Test.sourcePort != 0 && !anyPort(rule.sourcePorts, packet.sourcePort) { return false }
            if tests & Test.destinationPort != 0 && !anyPort(rule.destinationPorts, packet.destinationPort) { return false }
        }
        if tests & Test.tcpFlags != 0 {
            guard packet.ipProtocol == IPProtocol.tcp && packet.hasPorts else { return false }
            if packet.tcpFlags & rule.tcpFlagsSet != rule.tcpFlagsSet || packet.tcpFlags & rule.tcpFlagsClear != 0 { return false }
        }
        if tests & (Test.icmpType | Test.icmpCode) != 0 {
            guard packet.hasICMP else { return false }
            if tests & Test.icmpType != 0 && rule.icmpType != packet.icmpType { return false }
            if tests & Test.icmpCode != 0 && rule.icmpCode != packet.icmpCode { return false }
        }
        return true
    }

    @inlinable
    func anyPrefix(_ range: Range<Int32>, high: UInt64, low: UInt64, isIPv4: Bool) -> Bool {
        for index in range {
            let prefix = prefixes[Int(index)]
            if prefix.isIPv4 == isIPv4 && high & prefix.maskHigh == prefix.high && low & prefix.maskLow == prefix.low {
                return true
            }
        }
        return false
    }

    @inlinable
    func anyPort(_ range: Range<Int32>, _ port: UInt16) -> Bool {
        for index in range where portRanges[Int(index)].contains(port) { return true }
        return false
    }
}
