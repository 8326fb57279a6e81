import NFVCatalog
import NFVDescriptors
import NFVReplay
import Testing

/// `type: tap` ports: the kernel side a chain brings along, read and checked before anything
/// is created.
@Suite struct TapPortDescriptorTests {
    let loader = LoadedChain.descriptorLoader

    @Test func readsTheKernelSideOfTapPorts() throws {
        let chain = try loader.parse(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: live }
            spec:
              ports:
                - { name: inside,  type: tap, ifname: nfv-in0,  namespace: nfv-client, address: 10.0.1.2/24, gateway: 10.0.1.1 }
                - { name: outside, type: tap, ifname: nfv-out0, namespace: nfv-server, address: "2001:db8::2/64", mtu: 9000, queues: 2 }
              stages:
                - { name: ttl, vnf: decrement-ttl }
            """, file: "chains/live.yaml")
        #expect(chain.ports.map(\.kind) == [.tap, .tap])
        #expect(
            chain.ports[0].tap
                == .init(
                    interfaceName: "nfv-in0", namespace: "nfv-client", address: "10.0.1.2/24",
                    gateway: "10.0.1.1", mtu: 1500, queues: 1))
        #expect(
            chain.ports[1].tap
                == .init(
                    interfaceName: "nfv-out0", namespace: "nfv-server", address: "2001:db8::2/64",
                    gateway: nil, mtu: 9000, queues: 2))
        #expect(chain.ports[0].receivePath == nil && chain.ports[0].transmitPath == nil)
    }

    @Test func everyMistakeNamesItsPlaceAndAFix() {
        var found: [String] = []
        do {
            _ = try loader.parse(
                """
                apiVersion: nfv/v1
                kind: Chain
                metadata: { name: live }
                spec:
                  ports:
                    - { name: inside, type: tap, ifname: much-too-long-name0, address: 10.0.1.2, gateway: 10.0.2.1 }
                    - { name: outside, type: tap, namespace: ns, address: 10.0.3.2/24, gateway: 10.0.9.1, rx: in.pcap, queues: 64 }
                    - { name: file, type: pcap, rx: in.pcap, namespace: nfv-x }
                    - { name: host, type: tap, address: 10.0.4.2/24, gateway: 10.0.4.1 }
                  stages:
                    - { name: ttl, vnf: decrement-ttl }
                """, file: "chains/live.yaml")
        } catch {
            found = error.errors.map(\.description)
        }
        let expected = [
            "chains/live.yaml:6:42: error: spec.ports[0].ifname: \"much-too-long-name0\" is not a usable interface name",
            "chains/live.yaml:6:72: error: spec.ports[0].address: \"10.0.1.2\" is not an address with a prefix length",
            "chains/live.yaml:7:91: error: spec.ports[1].rx: a TAP port has no capture files",
            "chains/live.yaml:7:81: error: spec.ports[1].gateway: 10.0.9.1 is not inside 10.0.3.2/24",
            "chains/live.yaml:7:112: error: spec.ports[1].queues:",
            "chains/live.yaml:8:46: error: spec.ports[2].namespace: \"namespace\" belongs to TAP ports",
            "chains/live.yaml:9:63: error: spec.ports[3].gateway: a gateway is set only inside the port's own namespace",
        ]
        for line in expected {
            #expect(found.contains { $0.hasPrefix(line) }, "missing \(line) in \(found)")
        }
    }

    /// `attach: cni`: a container port takes its interface name, namespace and addresses from
    /// the container runtime, so the descriptor may not set them.
    @Test func containerPortsTakeTheirKernelSideFromTheRuntime() throws {
        let chain = try loader.parse(
            """
            apiVersion: nfv/v1
            kind: Chain
            metadata: { name: pods }
            spec:
              ports:
                - { name: pods, type: tap, attach: cni, mtu: 9000 }
                - { name: outside, type: tap, namespace: nfv-server, address: 10.0.3.2/24 }
              stages:
                - { name: ttl, vnf: decrement-ttl }
            """, file: "chains/pods.yaml")
        #expect(chain.ports[0].tap?.attachment == .cni && chain.ports[0].tap?.mtu == 9000)
        #expect(chain.ports[1].tap?.attachment == nil)
        var found: [String] = []
        do {
            _ = try loader.parse(
                """
                apiVersion: nfv/v1
                kind: Chain
                metadata: { name: pods }
                spec:
                  ports:
                    - { name: pods, type: tap, attach: cni, namespace: pod-ns, address: 10.0.1.2/24 }
                    - { name: other, type: tap, attach: docker }
                  stages:
                    - { name: ttl, vnf: decrement-ttl }
                """, file: "chains/pods.yaml")
        } catch {
            found = error.errors.map(\.description)
        }
        let expected = [
            "chains/pods.yaml:6:45: error: spec.ports[0].namespace: a port with \"attach: cni\" takes its namespace from CNI_NETNS",
            "chains/pods.yaml:6:64: error: spec.ports[0].address: a port with \"attach: cni\" takes its address from the IPAM plugin",
            "chains/pods.yaml:7:41: error: spec.ports[1].attach: unknown attachment \"docker\"; use \"cni\"",
        ]
        for line in expected {
            #expect(found.contains { $0.hasPrefix(line) }, "missing \(line) in \(found)")
        }
    }
}
