import Foundation

/// Host tools (ip, ping, curl, python3) for the tests that build namespaces, TAPs and veths.
public enum HostCommand {
    /// Those tests need root; CI runs as root and must never skip them.
    public static var isRoot: Bool { getuid() == 0 }
    public static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    /// The condition of their `.enabled(if:)` trait: run as root, and always in CI (where a
    /// missing root then fails the test instead of skipping it).
    public static var mayTouchTheKernel: Bool { isRoot || inCI }

    /// Runs `arguments` through /usr/bin/env; standard output and error together.
    public static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// A command prefix that starts what follows with no signal blocked: a program that waits
    /// on SIGALRM (busybox ping's interval and deadline) hangs with the test runner's mask.
    public static let withNoSignalBlocked = [
        "python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])",
    ]

    /// Whether `condition` holds within `tries` attempts `interval` apart (traffic that must
    /// flow again after a restart, say); true at the first that holds.
    public static func eventually(tries: Int, interval: useconds_t = 100_000, _ condition: () throws -> Bool) rethrows -> Bool {
        for attempt in 0..<tries {
            if try condition() { return true }
            if attempt < tries - 1 { usleep(interval) }
        }
        return false
    }

    /// Runs `arguments` and throws, with the output, when the command fails.
    @discardableResult
    public static func check(_ arguments: [String]) throws -> String {
        let result = try run(arguments)
        guard result.status == 0 else { throw HostCommandError(arguments: arguments, output: result.output) }
        return result.output
    }

    /// Ends a helper process with SIGKILL and reaps it: children of the test runner inherit its
    /// blocked signal mask, so SIGTERM (`Process.terminate`) and coreutils `timeout` never fire
    /// in them.
    public static func kill(_ process: Process) {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A host command that failed, with what it printed.
public struct HostCommandError: Error, CustomStringConvertible {
    public var arguments: [String]
    public var output: String
    public var description: String { "\(arguments.joined(separator: " ")) failed: \(output)" }

    public init(arguments: [String], output: String) {
        self.arguments = arguments
        self.output = output
    }
}
