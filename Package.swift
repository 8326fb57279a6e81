// swift-tools-version:6.0
import PackageDescription

// Data-plane modules (NFVPacket, NFVPipeline, NFVIO, NFVNetlink) import neither Foundation nor
// Yams; the control side (descriptors, replay, CLIs) may.
let package = Package(
    name: "nfv-platform",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "nfv-orch", targets: ["nfv-orch"]),
        .executable(name: "nfv-dataplane", targets: ["nfv-dataplane"]),
        .executable(name: "nfv-bench", targets: ["nfv-bench"]),
        .executable(name: "nfv-cni", targets: ["nfv-cni"]),
        .executable(name: "nfv-fuzz", targets: ["nfv-fuzz"]),
        .library(name: "NFVPacket", targets: ["NFVPacket"]),
        .library(name: "NFVPipeline", targets: ["NFVPipeline"]),
        .library(name: "NFVIO", targets: ["NFVIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]
        ),
        .target(name: "CAllocCounter"),
        // libFuzzer's driver when linked with -sanitize=fuzzer, a corpus runner otherwise.
        .target(name: "CFuzzerDriver"),
        .target(name: "CLinux"),
        .target(name: "NFVPacket"),
        // The OpenFlow 1.3 wire protocol: a pure codec (no I/O).
        .target(name: "NFVOpenFlow"),
        // The OpenFlow channel of a switch stage: sessions, FLOW_MOD to flows, the socket loop.
        .target(name: "NFVOpenFlowAgent", dependencies: ["NFVOpenFlow", "NFVSwitch", "NFVPacket", "NFVPipeline"]),
        .target(name: "NFVPipeline", dependencies: ["NFVPacket"]),
        .target(name: "NFVIO", dependencies: ["NFVPacket", "NFVPipeline", "CPcap", "CLinux"]),
        .target(name: "NFVFlow", dependencies: ["NFVPacket"]),
        .target(name: "NFVFirewall", dependencies: ["NFVPacket", "NFVPipeline", "NFVFlow"]),
        .target(name: "NFVRouter", dependencies: ["NFVPacket", "NFVPipeline"]),
        .target(name: "NFVNAT", dependencies: ["NFVPacket", "NFVPipeline", "NFVFlow"]),
        .target(name: "NFVLoadBalancer", dependencies: ["NFVPacket", "NFVPipeline", "NFVFlow"]),
        .target(name: "NFVNetlink", dependencies: ["CNetlink", "CLinux"]),
        .target(name: "NFVSwitch", dependencies: ["NFVPacket", "NFVPipeline"]),
        // Isolation per chain: the data plane's cgroup (v1 or v2) from spec.resources, and the
        // privileges it keeps after plumbing.
        .target(name: "NFVIsolation", dependencies: ["NFVDescriptors", "CLinux"]),
        // QoS: the three-colour markers of RFC 2697, 2698 and 4115 and the policer stage.
        .target(name: "NFVQoS", dependencies: ["NFVPacket", "NFVPipeline"]),
        .target(
            name: "NFVDescriptors",
            dependencies: ["NFVPacket", "NFVFirewall", "NFVRouter", "NFVNAT", "NFVLoadBalancer", "NFVSwitch", "NFVQoS", "Yams"]),
        // The one home of VNF kinds: every kind's configuration, stage, live update, plan line and
        // extra counters, and chain assembly (service paths included). The data plane and the
        // orchestrator reach the VNF modules only through it.
        .target(
            name: "NFVCatalog",
            dependencies: [
                "NFVPacket", "NFVPipeline", "NFVDescriptors", "NFVFirewall", "NFVRouter", "NFVNAT", "NFVLoadBalancer",
                "NFVSwitch", "NFVQoS",
            ]
        ),
        .target(name: "NFVReplay", dependencies: ["NFVPacket", "NFVPipeline", "NFVIO", "NFVDescriptors", "NFVCatalog"]),
        .target(
            name: "NFVDataplane",
            dependencies: [
                "NFVPacket", "NFVPipeline", "NFVIO", "NFVNetlink", "NFVDescriptors", "NFVCatalog", "NFVOpenFlowAgent", "NFVSwitch", "CLinux",
                "NFVIsolation", "NFVQoS",
            ]),
        .executableTarget(
            name: "nfv-dataplane",
            dependencies: [
                "NFVDataplane", "NFVCatalog", "NFVDescriptors", "NFVNetlink", "NFVPipeline", "NFVOpenFlowAgent", "NFVIsolation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The orchestrator: plans, state store (SQLite through GRDB), supervision of data
        // planes, the HTTP+JSON API on a unix socket (Hummingbird).
        .target(
            name: "NFVOrchestrator",
            dependencies: [
                "NFVDescriptors", "NFVCatalog", "NFVNetlink", "NFVPacket", "NFVPipeline", "NFVIsolation", "CLinux",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The API's OpenAPI document (docs/openapi.yaml links to it), served at /v1/openapi.yaml.
            resources: [.embedInCode("openapi.yaml")],
            // The server's types and routes are generated from that document.
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .executableTarget(
            name: "nfv-orch",
            dependencies: [
                "NFVReplay", "NFVCatalog", "NFVDescriptors", "NFVOrchestrator", "NFVSwitch", "NFVPipeline", "NFVTosca",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // nfv-orch import tosca: ETSI SOL001 and Tacker forwarding graphs as chains.
        .target(name: "NFVTosca", dependencies: ["NFVDescriptors", "NFVPacket", "Yams"]),
        // The CNI plugin: containers on chains' container ports, through nfv-orch.
        .target(name: "NFVCNI", dependencies: ["NFVOrchestrator", "NFVNetlink", "NFVPipeline"]),
        .executableTarget(name: "nfv-cni", dependencies: ["NFVCNI"]),
        .executableTarget(
            name: "nfv-bench",
            dependencies: [
                "NFVPacket", "NFVPipeline", "NFVIO", "NFVCatalog", "NFVSwitch", "CAllocCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets for the parsers, the reply builders, each VNF's per-packet path, the
        // descriptor loaders and the flow syntax (make fuzz; a corpus regression in make test).
        .executableTarget(
            name: "nfv-fuzz",
            dependencies: ["CFuzzerDriver", "NFVPacket", "NFVPipeline", "NFVFlow", "NFVCatalog", "NFVDescriptors", "NFVSwitch", "NFVOpenFlow"]
        ),
        // Fixture lookup and guard-page buffers shared by the test targets.
        .target(name: "NFVTestSupport", dependencies: ["NFVPacket", "NFVIO", "NFVReplay", "NFVCatalog"], path: "Tests/NFVTestSupport"),
        .testTarget(name: "NFVCNITests", dependencies: ["NFVCNI"]),
        .testTarget(name: "NFVPacketTests", dependencies: ["NFVPacket", "NFVIO", "NFVTestSupport"]),
        .testTarget(name: "NFVPipelineTests", dependencies: ["NFVPacket", "NFVPipeline", "NFVIO", "NFVTestSupport"]),
        .testTarget(name: "NFVSwitchTests", dependencies: ["NFVSwitch", "NFVPacket", "NFVPipeline", "NFVIO", "NFVTestSupport"]),
        .testTarget(name: "NFVQoSTests", dependencies: ["NFVQoS", "NFVPacket", "NFVPipeline", "NFVIO", "NFVTestSupport"]),
        .testTarget(
            name: "NFVOrchestratorTests",
            dependencies: [
                "NFVOrchestrator", "NFVReplay", "NFVCatalog", "NFVDescriptors", "NFVIsolation", "NFVCNI", "NFVTestSupport",
                .product(name: "Yams", package: "Yams"),
            ]),
        .testTarget(
            name: "NFVDataplaneTests",
            dependencies: ["NFVDataplane", "NFVReplay", "NFVCatalog", "NFVSwitch", "NFVNetlink", "NFVOpenFlowAgent", "NFVTestSupport"]),
        .testTarget(name: "NFVIOTests", dependencies: ["NFVPacket", "NFVPipeline", "NFVIO", "NFVNetlink", "NFVTestSupport"]),
        .testTarget(name: "NFVIsolationTests", dependencies: ["NFVIsolation", "NFVDescriptors", "NFVTestSupport"]),
        .testTarget(name: "NFVNetlinkTests", dependencies: ["NFVNetlink", "NFVTestSupport"]),
        .testTarget(
            name: "NFVCatalogTests",
            dependencies: ["NFVCatalog", "NFVDescriptors", "NFVPipeline", "NFVQoS", "NFVTestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "NFVOpenFlowTests", dependencies: ["NFVOpenFlow", "NFVOpenFlowAgent", "NFVSwitch", "NFVTestSupport"]),
        .testTarget(name: "NFVFlowTests", dependencies: ["NFVFlow", "NFVPacket", "NFVTestSupport"]),
        .testTarget(
            name: "NFVRouterTests",
            dependencies: [
                "NFVRouter", "NFVPacket", "NFVPipeline", "NFVIO", "NFVReplay", "NFVCatalog", "NFVDescriptors",
                "NFVTestSupport",
            ]),
        .testTarget(
            name: "NFVNATTests",
            dependencies: [
                "NFVNAT", "NFVPacket", "NFVPipeline", "NFVIO", "NFVReplay", "NFVCatalog", "NFVDescriptors",
                "NFVTestSupport",
            ]),
        .testTarget(
            name: "NFVLoadBalancerTests",
            dependencies: [
                "NFVLoadBalancer", "NFVPacket", "NFVPipeline", "NFVIO", "NFVReplay", "NFVCatalog", "NFVDescriptors",
                "NFVTestSupport",
            ]),
        .testTarget(
            name: "NFVFirewallTests",
            dependencies: [
                "NFVFirewall", "NFVFlow", "NFVPacket", "NFVPipeline", "NFVIO", "NFVReplay", "NFVCatalog",
                "NFVDescriptors", "NFVTestSupport",
            ]),
        .testTarget(name: "NFVDescriptorsTests", dependencies: ["NFVDescriptors", "NFVReplay", "NFVCatalog", "NFVQoS", "NFVTestSupport"]),
        .testTarget(
            name: "NFVReplayTests",
            dependencies: [
                "NFVReplay", "NFVCatalog", "NFVPacket", "NFVPipeline", "NFVIO", "NFVDescriptors", "NFVTestSupport",
                "NFVFirewall", "NFVLoadBalancer", "NFVNAT", "NFVRouter",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
