import ArgumentParser
import Foundation
import NFVOrchestrator

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a chain: its ports, stages and the ways traffic takes between them.",
        discussion: """
            CHAIN is a chain file or the name of a deployed chain. A chain with paths: draws each \
            service path in its own colour through its own stages (replies dashed), with a legend \
            (match, priority) and what happens to unmatched traffic; a chain with more than two \
            ports (a switch) draws every port into and out of its stages; otherwise forward \
            traffic enters on the first port, passes the stages in order and leaves on the \
            second, and the reverse path (dashed) passes them in reverse. --format svg runs \
            Graphviz's dot (Debian: graphviz); json lists nodes, edges (direction, path) and paths.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case dot, svg, json
    }

    @Argument(help: "A chain file, or the name of a deployed chain.")
    var chain: String

    @Option(help: "dot, svg or json.")
    var format: Format = .dot

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let loaded = try loadChain(chain, daemon: daemon)
        switch format {
        case .dot: print(ChainGraph.dot(loaded), terminator: "")
        case .json: print(try ChainGraph.json(loaded), terminator: "")
        case .svg:
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["dot", "-Tsvg"]
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            do { try process.run() } catch {
                printError("nfv-orch: cannot run Graphviz's dot (apt-get install graphviz): \(error)")
                throw ExitCode.failure
            }
            input.fileHandleForWriting.write(Data(ChainGraph.dot(loaded).utf8))
            try input.fileHandleForWriting.close()
            let svg = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                printError("nfv-orch: dot failed (exit \(process.terminationStatus)); is graphviz installed?")
                throw ExitCode.failure
            }
            FileHandle.standardOutput.write(svg)
        }
    }
}
