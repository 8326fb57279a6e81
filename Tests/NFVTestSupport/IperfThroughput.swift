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

    /// iperf3's UDP: `length`-byte datagrams at `packetsPerSecond` from `client` to `address`
    /// in `server` (with `reverse`, iperf3's -R: from the server to the client). Returns the
    /// datagrams per second sent and received over the measured seconds. `beforeSending` runs
    /// once the server listens (to start something beside the traffic).
    public static func udp(
        client: String, server: String, address: String, port: Int, seconds: Int, omit: Int, length: Int, packetsPerSecond: Int,
        reverse: Bool = false, beforeSending: () throws -> Void = {}
    ) throws -> (sent: Double, received: Double) {
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["ip", "netns", "exec", server, "iperf3", "-s", "-1", "-p", "\(port)"]
        listener.standardOutput = FileHandle.nullDevice
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer { HostCommand.kill(listener) }
        usleep(500_000)  // listening
        let arguments = [
            "ip", "netns", "exec", client, "iperf3", "-c", address, "-p", "\(port)", "-t", "\(seconds)", "-O", "\(omit)", "-J",
            "-u", "-l", "\(length)", "-b", "\(packetsPerSecond * length * 8)",
        ]
        try beforeSending()
        let run = try HostCommand.run(arguments + (reverse ? ["-R"] : []))
        let report = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any]
        let end = report?["end"] as? [String: Any]
        // From bytes: iperf3 3.12 counts the datagrams lost during the omitted seconds into the
        // measured ones' lost_packets.
        guard run.status == 0, let sum = end?["sum_received"] as? [String: Any], let sent = end?["sum_sent"] as? [String: Any],
            let bytes = sum["bytes"] as? Double, let measured = sum["seconds"] as? Double,
            let sentBytes = sent["bytes"] as? Double, let sentSeconds = sent["seconds"] as? Double, measured > 0, sentSeconds > 0
        else {
            throw HostCommandError(arguments: arguments, output: String(run.output.suffix(600)))
        }
        return (sentBytes / Double(length) / sentSeconds, bytes / Double(length) / measured)
    }
}
