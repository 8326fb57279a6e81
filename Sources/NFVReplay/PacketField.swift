/// One named field of a dissected frame (`ipv4.ttl` = `64`).
public struct PacketField: Sendable, Equatable, CustomStringConvertible {
    /// Layer and field, dot separated: `ipv4.ttl`, `tcp.flags`, `vlan2.vid`.
    public var name: String
    /// The value as text (decimal numbers, dotted addresses, `0x` checksums, hex bytes).
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name)=\(value)" }
}
