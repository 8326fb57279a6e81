import Foundation
import NFVCNI
import Testing

/// The CNI protocol as the spec (1.0.0) writes it: the environment a runtime sets, the
/// network configuration on standard input, the error codes of its "Error" section, and the
/// result's form for the versions the plugin speaks.
@Suite struct CNIProtocolTests {
    let add = ["CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/run/netns/c1", "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni"]

    func code(_ body: () throws -> Void) -> Int? {
        do {
            try body()
            return nil
        } catch { return (error as? CNIError)?.code ?? -1 }
    }

    @Test func theEnvironmentNamesWhatIsMissingAsCode4() {
        #expect(code { _ = try CNIEnvironment([:]) } == 4)
        #expect(code { _ = try CNIEnvironment(["CNI_COMMAND": "ATTACH"]) } == 4)
        for missing in ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"] {
            #expect(code { _ = try CNIEnvironment(add.filter { $0.key != missing }) } == 4, "\(missing)")
        }
        // DEL may come after the namespace is gone (spec: CNI_NETNS optional there); VERSION
        // needs nothing but the command.
        var delete = add
        delete["CNI_COMMAND"] = "DEL"
        delete["CNI_NETNS"] = nil
        #expect(code { _ = try CNIEnvironment(delete) } == nil)
        #expect(code { _ = try CNIEnvironment(["CNI_COMMAND": "VERSION"]) } == nil)
        var long = add
        long["CNI_IFNAME"] = "an-interface-name-too-long"
        #expect(code { _ = try CNIEnvironment(long) } == 4)
        var arguments = add
        arguments["CNI_ARGS"] = "K8S_POD_NAME=web-0;K8S_POD_NAMESPACE=default"
        #expect((try? CNIEnvironment(arguments))?.arguments["K8S_POD_NAME"] == "web-0")
    }

    @Test func theConfigurationGetsTheSpecsCodes() {
        func parse(_ text: String) -> Int? { code { _ = try NetworkConfiguration(Data(text.utf8)) } }
        #expect(parse("{\"cniVersion\": \"1.0.0\", name: edge}") == 6)  // not JSON
        #expect(parse("[1, 2]") == 6)
        #expect(parse("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"nfv-cni\"}") == 7)  // no chain
        #expect(parse("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"type\": \"nfv-cni\", \"chain\": 5}") == 7)
        #expect(parse("{\"cniVersion\": \"2.0.0\", \"name\": \"n\", \"chain\": \"edge\"}") == 1)
        #expect(parse("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"chain\": \"edge\", \"ipam\": {\"subnet\": \"10.0.0.0/24\"}}") == 7)
        #expect(parse("{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"chain\": \"edge\", \"prevResult\": {\"ips\": 3}}") == 6)
        let good =
            "{\"cniVersion\": \"0.4.0\", \"name\": \"n\", \"type\": \"nfv-cni\", \"chain\": \"edge\", \"port\": \"inside\","
            + " \"ipam\": {\"type\": \"host-local\"}, \"runtimeConfig\": {}}"
        let configuration = try? NetworkConfiguration(Data(good.utf8))
        #expect(configuration?.chain == "edge" && configuration?.port == "inside" && configuration?.ipamType == "host-local")
    }

    @Test func errorsAreTheSpecsDocument() throws {
        let error = CNIError(.invalidConfiguration, "\"chain\" is missing", details: "add it")
        let object = try #require(try JSONSerialization.jsonObject(with: error.json(cniVersion: "1.0.0")) as? [String: Any])
        #expect(object["cniVersion"] as? String == "1.0.0" && object["code"] as? Int == 7)
        #expect(object["msg"] as? String == "\"chain\" is missing" && object["details"] as? String == "add it")
    }

    /// Results before 1.0.0 say each address's IP version ("version": "4"); 1.0.0 dropped it.
    @Test func resultsTakeTheFormOfTheirVersion() throws {
        let result = CNIResult(
            cniVersion: nil, interfaces: [.init(name: "eth0", mac: "02:00:00:00:00:01", sandbox: "/run/netns/c1")],
            ips: [.init(address: "10.1.0.5/24", gateway: "10.1.0.1", interface: 0), .init(address: "fd00::5/64", gateway: nil, interface: 0)])
        func ips(_ version: String) throws -> [[String: Any]] {
            let object = try #require(try JSONSerialization.jsonObject(with: result.json(version: version)) as? [String: Any])
            #expect(object["cniVersion"] as? String == version)
            return try #require(object["ips"] as? [[String: Any]])
        }
        #expect(try ips("1.0.0").allSatisfy { $0["version"] == nil })
        #expect(try ips("0.4.0").map { $0["version"] as? String } == ["4", "6"])
        #expect(try ips("0.3.1")[0]["interface"] as? Int == 0)
    }
}
