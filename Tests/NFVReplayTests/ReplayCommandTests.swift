import Foundation
import NFVIO
import NFVReplay
import NFVTestSupport
import Testing

/// `nfv-orch replay` end to end: the scapy-built capture through the TTL chain, compared with
/// scapy's expectation by the command's own --expect, and the failure path with one changed
/// field.
@Suite struct ReplayCommandTests {
    let chain = Fixtures.root.appendingPathComponent("chains/ttl-decrement.yaml").path

    @Test func replayMatchesScapysExpectationAndCountsDrops() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.pcap").path
        let result = try CommandRunner.run(
            "nfv-orch",
            [
                "replay", chain, "--in", Fixtures.path("ttl-in.pcap"), "--out", output,
                "--expect", Fixtures.path("ttl-expected.pcap"),
            ])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first == "chain ttl-decrement: 34 packets in, 28 packets out")
        #expect(lines.contains { $0.hasPrefix("parse") && $0.hasSuffix("bad_ipv4_header_length=1 ipv4_total_length_beyond_frame=1") })
        #expect(lines.contains { $0.hasPrefix("ttl") && $0.hasSuffix("hop_limit_expired=1 ttl_expired=3") })
        #expect(lines.last == "port out: output matches \(Fixtures.path("ttl-expected.pcap")): 28 packets")
        // The written file itself, read back independently of the command's comparison.
        let written = try PcapFileSource.readAll(path: output)
        let expected = try Fixtures.frames("ttl-expected.pcap")
        #expect(written.map(\.bytes) == expected.map(\.bytes))
    }

    @Test func oneChangedFieldFailsAndIsNamed() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = [
            "replay", chain, "--in", Fixtures.path("ttl-in.pcap"),
            "--out", directory.appendingPathComponent("out.pcap").path,
            "--expect", Fixtures.path("ttl-expected-one-field-changed.pcap"),
        ]
        let failing = try CommandRunner.run("nfv-orch", arguments)
        #expect(failing.status == 1)
        let lines = failing.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("port out: output differs from") && $0.contains("1 differ, 0 missing, 0 extra") })
        #expect(lines.last == "packet 7: ipv4.ttl 1 != 2")
        let ignoring = try CommandRunner.run("nfv-orch", arguments + ["--ignore", "ipv4.ttl"])
        #expect(ignoring.status == 0)
        let ignoringLayer = try CommandRunner.run("nfv-orch", arguments + ["--ignore", "ipv4"])
        #expect(ignoringLayer.status == 0)
        // A field the dissector does not know is an error, not a silent no-op.
        let bogus = try CommandRunner.run("nfv-orch", arguments + ["--ignore", "ipv4.tll"])
        #expect(bogus.status != 0 && bogus.standardError.contains("--ignore ipv4.tll: no such field or layer; did you mean ipv4.ttl?"), "\(bogus)")
    }

    @Test func pcapngInputAndTracePoints() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rx = directory.appendingPathComponent("rx.pcap").path
        let parsed = directory.appendingPathComponent("parse.pcap").path
        let output = directory.appendingPathComponent("out.pcap").path
        let result = try CommandRunner.run(
            "nfv-orch",
            [
                "replay", chain, "--in", Fixtures.path("ttl-in.pcapng"), "--out", output,
                "--trace", "rx=\(rx)", "--trace", "parse=\(parsed)", "--batch-size", "5",
            ])
        #expect(result.status == 0, "\(result.standardError)")
        let input = try Fixtures.frames("ttl-in.pcap")
        #expect(try PcapFileSource.readAll(path: rx).map(\.bytes) == input.map(\.bytes))
        #expect(try PcapFileSource.readAll(path: parsed).count == 32)  // two malformed frames dropped by parse
        #expect(try PcapFileSource.readAll(path: output).map(\.bytes) == Fixtures.frames("ttl-expected.pcap").map(\.bytes))
    }

    @Test func badInputsAreExplainedWithExitOne() throws {
        let unknownTrace = try CommandRunner.run("nfv-orch", ["replay", chain, "--out", "/dev/null", "--trace", "tll=/dev/null"])
        #expect(unknownTrace.status == 1)
        #expect(unknownTrace.standardError.contains("unknown trace point \"tll\": did you mean \"ttl\"?"))

        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = directory.appendingPathComponent("broken.yaml")
        try "apiVersion: nfv/v1\nkind: Chain\nmetadata: { name: b }\nspec:\n  ports: []\n  stages:\n    - { name: t, vnf: decrement-tll }\n"
            .write(to: broken, atomically: true, encoding: .utf8)
        let badChain = try CommandRunner.run("nfv-orch", ["replay", broken.path, "--in", Fixtures.path("ttl-in.pcap"), "--out", "/dev/null"])
        #expect(badChain.status == 1)
        #expect(
            badChain.standardError.contains(
                "\(broken.path):7:23: error: spec.stages[0].vnf: unknown VNF kind \"decrement-tll\"; did you mean \"decrement-ttl\"?"))

        let notACapture = try CommandRunner.run("nfv-orch", ["replay", chain, "--in", chain, "--out", "/dev/null"])
        #expect(notACapture.status == 1)
        #expect(notACapture.standardError.contains("\(chain): cannot read capture:"))

        let input = directory.appendingPathComponent("in.pcap")
        try FileManager.default.copyItem(atPath: Fixtures.path("ttl-in.pcap"), toPath: input.path)
        let before = try Data(contentsOf: input)
        let overwrite = try CommandRunner.run("nfv-orch", ["replay", chain, "--in", input.path, "--out", input.path])
        #expect(overwrite.status == 1)
        #expect(overwrite.standardError.contains("is the input capture"))
        #expect(try Data(contentsOf: input) == before, "the input is untouched")
        let twice = directory.appendingPathComponent("twice.pcap").path
        let sameTwice = try CommandRunner.run("nfv-orch", ["replay", chain, "--in", input.path, "--out", twice, "--trace", "rx=\(twice)"])
        #expect(sameTwice.status == 1)
        #expect(sameTwice.standardError.contains("is also the file of port out tx"))

        let validate = try CommandRunner.run("nfv-orch", ["validate", chain, broken.path])
        #expect(validate.status == 1)
        #expect(validate.standardOutput.contains("chain ttl-decrement is valid"))
    }
}
