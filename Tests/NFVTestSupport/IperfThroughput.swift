import Foundation

/// iperf3's TCP between two namespaces: a one-test server in `server`, a client in `client`
/// sending to `address` for `seconds` (the first `omit` left out of the result, as iperf3's
/// `-O` does). Returns the receiver's bits per second, or throws with iperf3's output. With
/// `cpu`, both ends run on that CPU only (taskset), out of the way of a data plane on another.
public enum IperfThroughput {
    public static func tcp(
        client: String, server: String, address: String, port: Int, seconds: Int, omit: Int, cpu: Int? = nil
    ) throws -> Double {
        let pin = cpu.map { ["taskset", "-c", "\($0)"] } ?? []
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["ip", "netns", "exec", server] + pin + ["iperf3", "-s", "-1", "-p", "\(port)"]
        listener.standardOutput = FileHandle.nullDevice
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer { HostCommand.kill(listener) }
        usleep(500_000)  // listening
        let run = try HostCommand.run(
            ["ip", "netns", "exec", client] + pin + [
                "iperf3", "-c", address, "-p", "\(port)", "-t", "\(seconds)", "-O", "\(omit)", "-J",
            ])
        let report = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any]
        guard run.status == 0,
            let received = ((report?["end"] as? [String: Any])?["sum_received"] as? [String: Any])?["bits_per_second"] as? Double
        else {
            throw HostCommandError(arguments: ["iperf3", "-c", address], output: String(run.output.suffix(600)))
        }
        return received
    }
}
