import ArgumentParser
import Foundation
import NFVCatalog
import NFVDescriptors
import NFVReplay

/// `nfv-orch replay`: runs a chain over a capture; with `--expect`, a pcap-replay test.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a chain over a capture file and write what leaves it.",
        discussion: """
            Prints per-stage counters (rx, tx, punt, drop and drop reasons). With --expect, \
            compares the output with EXPECTED.pcap packet by packet and exits 0 when they match, \
            1 when they differ: one line per differing packet with its fields \
            ("packet 7: ipv4.ttl 63 != 64, ipv4.checksum 0x3a1c != 0x391c", output value first), \
            one line per packet missing from the output or not expected, and the walk stays in \
            step around them. Capture times count only with --compare-time. Long comparisons \
            report progress on standard error.

            Field names: frame.len, frame.time (microseconds), eth.dst, eth.src, eth.type, \
            vlan.vid/pcp/dei/type (vlan2.* for a QinQ inner tag), arp.*, ipv4.version/ihl/dscp/ecn/\
            len/id/flags/frag/ttl/proto/checksum/src/dst/options, ipv6.version/tc/flow/plen/nh/hlim/\
            src/dst/ext, tcp.sport/dport/seq/ack/dataofs/reserved/flags/window/checksum/urgptr/options, \
            udp.sport/dport/len/checksum, icmp.type/code/checksum, icmpv6.*, payload, eth.padding, \
            malformed.
            """
    )

    @Argument(help: "The chain descriptor (YAML).")
    var chain: String

    @Option(name: .customLong("in"), help: ArgumentHelp("Capture to read (default: the chain's pcap-in port).", valueName: "IN.pcap"))
    var input: String?

    @Option(name: .customLong("out"), help: ArgumentHelp("Capture to write (default: the chain's pcap-out port).", valueName: "OUT.pcap"))
    var output: String?

    @Option(
        name: .customLong("trace"),
        help: ArgumentHelp(
            "Also record the packets at a point into a capture: rx (chain input) or a stage name (what it forwarded). Repeatable.",
            valueName: "STAGE=FILE"))
    var traces: [String] = []

    @Option(
        name: .customLong("expect"),
        help: ArgumentHelp(
            "Compare an output with this capture; exit 1 when they differ. EXPECTED.pcap alone checks the second port's output (where traffic from the first port leaves); PORT=EXPECTED.pcap checks the output of port PORT. Repeatable.",
            valueName: "[PORT=]EXPECTED.pcap"))
    var expectations: [String] = []

    @Option(
        name: .customLong("ignore"),
        help: ArgumentHelp("A field (ipv4.id) or layer (ipv4) to leave out of the --expect comparison. Repeatable.", valueName: "FIELD"))
    var ignored: [String] = []

    @Flag(help: "Compare the packets' capture times (frame.time, in microseconds) too; by default they are not.")
    var compareTime = false

    @Option(name: .customLong("batch-size"), help: "Packets per batch, 1 to 256.")
    var batchSize: Int = 256

    func validate() throws {
        for trace in traces {
            let parts = trace.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--trace takes STAGE=FILE, got \"\(trace)\"")
            }
        }
        if expectations.filter({ !$0.contains("=") }).count > 1 {
            throw ValidationError("only one --expect may omit the port; name the others as PORT=FILE")
        }
        if !ignored.isEmpty && expectations.isEmpty {
            throw ValidationError("--ignore only applies with --expect")
        }
        for field in ignored where !PacketDissector.isKnown(field) {
            let known = PacketDissector.fieldNames.sorted()
            let close = Suggestion.closest(to: field, in: known + PacketDissector.layers.sorted())
            throw ValidationError(
                "--ignore \(field): no such field or layer" + (close.map { "; did you mean \($0)?" } ?? "")
                    + " (layers: " + PacketDissector.layers.sorted().joined(separator: ", ") + "; fields as LAYER.NAME, e.g. ipv4.id)")
        }
    }

    func run() throws {
        let loaded: LoadedChain
        do {
            loaded = try LoadedChain.load(path: chain)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        let traceList = traces.map { trace -> (point: String, path: String) in
            let parts = trace.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), String(parts[1]))
        }
        let options = Replayer.Options(inputPath: input, outputPath: output, traces: traceList, batchSize: batchSize)
        let chainDescriptor = loaded.descriptor
        let ports = Replayer.ports(of: chainDescriptor, options: options)
        var checks: [(port: String, output: String, expected: String)] = []
        for expectation in expectations {
            let parts = expectation.split(separator: "=", maxSplits: 1).map(String.init)
            let portIndex = parts.count == 2 ? ports.firstIndex { $0.name == parts[0] } : 1
            guard let portIndex else {
                printError(
                    "--expect \(expectation): chain \(chainDescriptor.name) has no port \"\(parts[0])\" (ports: "
                        + ports.map(\.name).joined(separator: ", ") + ")")
                throw ExitCode.failure
            }
            guard let written = ports[portIndex].transmitPath else {
                printError(
                    "--expect \(expectation): port \(ports[portIndex].name) writes no capture; give it a tx file"
                        + (portIndex == 1 ? " (or use --out FILE)" : ""))
                throw ExitCode.failure
            }
            checks.append((ports[portIndex].name, written, parts.last!))
        }
        var matched = true
        do {
            let report = try Replayer.run(loaded, options: options)
            print(report.text)
            for check in checks {
                let terminal = isatty(STDERR_FILENO) == 1
                let comparison = try CaptureComparison(
                    actualPath: check.output, expectedPath: check.expected, ignoring: ignored, comparingTime: compareTime
                ) { done, total in
                    let line = "comparing port \(check.port): \(done) of \(total) packets"
                    FileHandle.standardError.write(Data((terminal ? "\r" + line : line + "\n").utf8))
                }
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                print("port \(check.port): " + comparison.text(expectedPath: check.expected))
                matched = matched && comparison.matches
            }
        } catch {
            printError("replay failed: \(error)")
            throw ExitCode.failure
        }
        if !matched { throw ExitCode.failure }
    }
}
