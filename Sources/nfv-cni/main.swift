import Foundation
import NFVCNI

#if canImport(Glibc)
    import Glibc
#endif

// nfv-cni: a CNI 1.0.0 plugin that attaches containers to the container ports
// (attach: cni) of chains nfv-orch runs. A runtime runs it with CNI_COMMAND and the other
// CNI_ variables in the environment and the network configuration on standard input; the
// result, or the spec's error document, goes to standard output.
let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print(
        """
        usage: CNI_COMMAND=ADD|DEL|CHECK|VERSION CNI_CONTAINERID=ID CNI_NETNS=PATH CNI_IFNAME=NAME CNI_PATH=DIRS nfv-cni < CONFIG

        A CNI plugin (spec 1.0.0; also 0.3.0, 0.3.1, 0.4.0): container runtimes run it, not people.
        CONFIG: {"cniVersion": "1.0.0", "name": "NET", "type": "nfv-cni", "chain": "CHAIN",
                 "port": "PORT", "socket": "/run/nfv-orch/nfv-orch.sock", "ipam": {"type": "host-local", ...}}
        ADD makes the chain's container port PORT (attach: cni; absent: the first free one) the
        container's interface NAME, through nfv-orch, with the addresses the IPAM plugin gives;
        DEL removes it (and succeeds when it is gone); CHECK verifies it; VERSION lists versions.
        Errors are the spec's JSON with a code: 1 version, 4 environment, 6 not JSON, 7 bad
        configuration, 11 nfv-orch not answering, 100 nfv-orch refused, 101 CHECK found a difference.
        """)
    exit(0)
}
// Without CNI_COMMAND nobody drives the plugin: say so rather than wait on standard input.
if ProcessInfo.processInfo.environment["CNI_COMMAND"] == nil {
    FileHandle.standardOutput.write(
        CNIError(.invalidEnvironment, "CNI_COMMAND is not set", details: "container runtimes run nfv-cni; nfv-cni --help says how")
            .json(cniVersion: "1.0.0"))
    FileHandle.standardError.write(Data("nfv-cni: CNI_COMMAND is not set (nfv-cni --help)\n".utf8))
    exit(1)
}
let input = FileHandle.standardInput.readDataToEndOfFile()
let askedVersion = ((try? JSONSerialization.jsonObject(with: input)) as? [String: Any])?["cniVersion"] as? String
do throws(CNIError) {
    let environment = try CNIEnvironment(ProcessInfo.processInfo.environment)
    let output = try CNIPlugin(environment: environment).run(input: input)
    FileHandle.standardOutput.write(output)
    exit(0)
} catch {
    let version = askedVersion.flatMap { NetworkConfiguration.supportedVersions.contains($0) ? $0 : nil } ?? "1.0.0"
    FileHandle.standardOutput.write(error.json(cniVersion: version))
    FileHandle.standardError.write(Data("nfv-cni: \(error)\n".utf8))
    exit(1)
}
