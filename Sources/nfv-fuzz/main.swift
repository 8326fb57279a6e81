import CFuzzerDriver
import Foundation

// nfv-fuzz TARGET [libFuzzer options] [CORPUS...]
//
// Built with `-sanitize=fuzzer,address` (make fuzz), it fuzzes TARGET with libFuzzer; built
// normally, it runs every input file once (a corpus regression). The targets are listed by
// `nfv-fuzz --list`; the stage targets load the shipped chains from NFV_FUZZ_ROOT (default:
// the current directory).

nonisolated(unsafe) var harness: FuzzHarness?

let arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " ")
    if arguments.count >= 2 && arguments[1] == "--list" {
        print(names)
        exit(0)
    }
    FileHandle.standardError.write(Data("usage: nfv-fuzz TARGET [libFuzzer options] [CORPUS...]\ntargets: \(names)\n".utf8))
    exit(2)
}
do {
    harness = try FuzzHarness(target: target, root: ProcessInfo.processInfo.environment["NFV_FUZZ_ROOT"] ?? ".")
} catch {
    FileHandle.standardError.write(Data("nfv-fuzz: \(error)\n".utf8))
    exit(1)
}
// libFuzzer sees the program name and what follows the target.
var driverArguments = [arguments[0]] + arguments.dropFirst(2)
var cStrings = driverArguments.map { strdup($0) } + [nil]
var argc = Int32(driverArguments.count)
let status = cStrings.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
    return nfv_fuzz_run(&argc, &argv) { data, size in
        harness!.run(UnsafeBufferPointer(start: data, count: size))
        return 0
    }
}
exit(status)
