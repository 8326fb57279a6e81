import Foundation
import NFVTestSupport
import Testing

/// nfv-bench's optimised build runs the trivial chain without a single heap allocation in the
/// measured run (counted by the interposed allocator in Sources/CAllocCounter). `make test`
/// builds the release binary before running the tests.
@Suite struct BenchCommandTests {
    static let binary = Fixtures.root.appendingPathComponent(".build/release/nfv-bench")

    @Test func measuredRunAllocatesNothingAndForwardsEverything() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.binary.path),
            "build it first: swift build -c release --product nfv-bench (make test does)")
        for arguments in [
            ["--packets", "100000"], ["--packets", "100000", "--flows", "100", "--expired-percent", "3", "--flow-hash", "--batch-size", "37"],
        ] {
            let process = Process()
            process.executableURL = Self.binary
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("allocations during measured run: 0 (0.000 per batch") }, "\(text)")
            #expect(lines.contains { $0.hasPrefix("time: ") && $0.contains(" Mpps, ") })
            let forwarded = arguments.contains("--expired-percent") ? 97_000 : 100_000
            #expect(lines.contains("out: \(forwarded) packets"), "\(text)")
        }
    }
}
