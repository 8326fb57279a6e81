import Foundation

/// A TCP transfer between two namespaces that takes a few seconds on purpose (by default 4 MB in
/// 64 KB writes 50 ms apart), so a test can change something while it runs: the receiver hashes
/// what it gets and sends the SHA-256 back; the sender prints "intact" when it matches. With
/// `pause` 0 the writes follow each other as fast as the path takes them (a bulk transfer).
public final class PacedTransfer {
    public let receiver: Process
    public let sender: Process
    let output = Pipe()

    /// Starts the receiver in `server` on `address`:`port`, waits 0.4 s, starts the sender in
    /// `client`, which sends `megabytes` in 64 KB writes `pause` seconds apart.
    public init(client: String, server: String, address: String, port: Int, megabytes: Int = 4, pause: Double = 0.05) throws {
        receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        receiver.arguments = [
            "ip", "netns", "exec", server, "python3", "-c",
            """
            import hashlib, socket
            listener = socket.create_server(('\(address)', \(port)))
            connection, _ = listener.accept()
            digest = hashlib.sha256()
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                digest.update(chunk)
            connection.sendall(digest.hexdigest().encode())
            connection.close()
            """,
        ]
        try receiver.run()
        usleep(400_000)
        sender = Process()
        sender.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sender.arguments = [
            "ip", "netns", "exec", client, "python3", "-c",
            """
            import hashlib, os, socket, time
            data = os.urandom(\(megabytes) * 1024 * 1024)
            view = memoryview(data)
            connection = socket.create_connection(('\(address)', \(port)), timeout=10)
            for offset in range(0, len(data), 65536):
                connection.sendall(view[offset:offset + 65536])
                if \(pause) > 0:
                    time.sleep(\(pause))
            connection.shutdown(socket.SHUT_WR)
            answer = connection.recv(100).decode()
            print('intact' if answer == hashlib.sha256(data).hexdigest() else 'damaged ' + answer)
            """,
        ]
        sender.standardOutput = output
        sender.standardError = output
        do { try sender.run() } catch {
            HostCommand.kill(receiver)
            throw error
        }
    }

    /// Waits for the sender; returns what it printed ("intact" when the bytes arrived whole).
    public func finish() -> String {
        sender.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Ends both sides (for clean-up on failure).
    public func kill() {
        HostCommand.kill(sender)
        HostCommand.kill(receiver)
    }
}
