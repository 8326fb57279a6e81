import Foundation
import NFVIO

/// Paths of the repository and of the scapy-built fixtures (Tests/Fixtures/generate.py).
public enum Fixtures {
    /// The repository root.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file under Tests/Fixtures/packets.
    public static func path(_ name: String) -> String {
        root.appendingPathComponent("Tests/Fixtures/packets/\(name)").path
    }

    /// The frames of a fixture capture.
    public static func frames(_ name: String) throws -> [MemoryPort.Frame] {
        try PcapFileSource.readAll(path: path(name))
    }

    /// A fixture JSON document.
    public static func json(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(name))))
    }

    /// The folder holding the built executables (next to the running test bundle).
    public static var executablesDirectory: URL {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }

    /// A fresh temporary directory, removed by the returned cleanup closure.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nfv-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
