import Foundation
import NFVCNI
import NFVCatalog
import NFVTestSupport
import Testing
import Yams

/// deploy/kubernetes as far as this machine can check it without a cluster: kubernetes-validate
/// (PyPI) checks every built-in object strictly against the Kubernetes API's schemas (and
/// catches a misspelt field in a copy); the NetworkAttachmentDefinition, which it has no schema
/// for, is checked by what reads it: its CNI configuration by nfv-cni's own parser, and the
/// chain it names is in the ConfigMap, valid, with a container port of that name.
@Suite struct KubernetesManifestTests {
    static let folder = Fixtures.root.appendingPathComponent("deploy/kubernetes")

    static func manifests() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }.sorted { $0.path < $1.path }
    }

    @Test func everyBuiltInObjectValidatesStrictly() throws {
        let files = try Self.manifests()
        #expect(files.count >= 5)
        let result = try HostCommand.run(["python3", "-m", "kubernetes_validate", "--strict"] + files.map(\.path))
        #expect(result.status == 0, "\(result.output)")
        for kind in [
            "namespace/nfv-system", "clusterrole/nfv-orch", "clusterrolebinding/nfv-orch", "serviceaccount/nfv-orch",
            "configmap/nfv-chains", "daemonset/nfv-orch", "pod/behind-the-firewall",
        ] {
            #expect(result.output.contains("passed for resource \(kind)"), "\(kind): \(result.output)")
        }
        // The validator is not a rubber stamp: a misspelt field fails.
        let broken = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: broken) }
        let daemonSet = try String(contentsOf: Self.folder.appendingPathComponent("30-daemonset.yaml"), encoding: .utf8)
        let copy = broken.appendingPathComponent("daemonset.yaml")
        try daemonSet.replacingOccurrences(of: "hostNetwork: true", with: "hostNetwrk: true").write(to: copy, atomically: true, encoding: .utf8)
        let refused = try HostCommand.run(["python3", "-m", "kubernetes_validate", "--strict", copy.path])
        #expect(refused.status != 0 && refused.output.contains("hostNetwrk"), "\(refused.output)")
    }

    @Test func theNetworkAttachmentNamesAChainTheDaemonSetDeploys() throws {
        let attachment = try #require(
            try Yams.load(yaml: String(contentsOf: Self.folder.appendingPathComponent("40-network-attachment.yaml"), encoding: .utf8))
                as? [String: Any])
        #expect(attachment["apiVersion"] as? String == "k8s.cni.cncf.io/v1" && attachment["kind"] as? String == "NetworkAttachmentDefinition")
        let config = try #require((attachment["spec"] as? [String: Any])?["config"] as? String)
        let network = try NetworkConfiguration(Data(config.utf8))
        #expect(network.cniVersion == "1.0.0" && network.ipamType == "host-local")
        #expect((try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any])?["type"] as? String == "nfv-cni")

        // The chain it names: in the ConfigMap, valid, with that container port.
        let map = try #require(
            try Yams.load(yaml: String(contentsOf: Self.folder.appendingPathComponent("20-chains.yaml"), encoding: .utf8)) as? [String: Any])
        let files = try #require(map["data"] as? [String: String])
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in files { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let chain = try LoadedChain.load(path: directory.appendingPathComponent("\(network.chain).yaml").path)
        let port = try #require(chain.descriptor.ports.first { $0.name == network.port })
        #expect(port.tap?.attachment == .cni, "port \(network.port) of \(network.chain) takes containers")
    }
}
