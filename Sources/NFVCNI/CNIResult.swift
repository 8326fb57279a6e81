import Foundation

/// A CNI result (spec 1.0.0, "ADD Success"): the interfaces made, the addresses and routes
/// given, DNS. What IPAM plugins return is the same document without `interfaces`.
public struct CNIResult: Codable, Sendable, Equatable {
    public struct Interface: Codable, Sendable, Equatable {
        public var name: String
        public var mac: String?
        /// The network namespace path for an interface inside the container.
        public var sandbox: String?

        public init(name: String, mac: String?, sandbox: String?) {
            self.name = name
            self.mac = mac
            self.sandbox = sandbox
        }
    }

    public struct IPConfiguration: Codable, Sendable, Equatable {
        /// `10.1.0.5/24`.
        public var address: String
        public var gateway: String?
        /// Index into `interfaces`.
        public var interface: Int?

        public init(address: String, gateway: String?, interface: Int?) {
            self.address = address
            self.gateway = gateway
            self.interface = interface
        }
    }

    public struct Route: Codable, Sendable, Equatable {
        public var dst: String
        public var gw: String?
    }

    public struct DNS: Codable, Sendable, Equatable {
        public var nameservers: [String]?
        public var domain: String?
        public var search: [String]?
        public var options: [String]?
    }

    public var cniVersion: String?
    public var interfaces: [Interface]?
    public var ips: [IPConfiguration]?
    public var routes: [Route]?
    public var dns: DNS?

    public init(cniVersion: String?, interfaces: [Interface]? = nil, ips: [IPConfiguration]? = nil, routes: [Route]? = nil, dns: DNS? = nil) {
        self.cniVersion = cniVersion
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }

    /// The document in `version`'s form: before 1.0.0 every address also says its IP version.
    public func json(version: String) -> Data {
        var copy = self
        copy.cniVersion = version
        guard let data = try? JSONEncoder().encode(copy),
            var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return Data() }
        if version != "1.0.0", let ips = object["ips"] as? [[String: Any]] {
            object["ips"] = ips.map { entry in
                var entry = entry
                entry["version"] = (entry["address"] as? String)?.contains(":") == true ? "6" : "4"
                return entry
            }
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}
