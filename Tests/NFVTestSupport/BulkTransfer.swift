import Foundation

/// A bulk TCP transfer between two namespaces as fast as the path allows, checked end to end:
/// the side that sends streams `megabytes` of random bytes, the side that receives hashes them
/// and answers with the SHA-256, and the sender prints "intact" when it matches its own.
/// `upload` sends from the client (which connects) to the server (which listens); otherwise the
/// server sends to the client over the connection the client opened (what a download through
/// a NAT looks like). The listener takes IPv4 and IPv6.
public enum BulkTransfer {
    /// Runs one transfer and returns what the sending side printed.
    public static func run(client: String, server: String, address: String, port: Int, megabytes: Int, upload: Bool) throws -> String {
        let send = """
            def run(connection):
                digest = hashlib.sha256()
                for _ in range(\(megabytes)):
                    chunk = os.urandom(1 << 20)
                    digest.update(chunk)
                    connection.sendall(chunk)
                connection.shutdown(socket.SHUT_WR)
                answer = connection.recv(100).decode()
                print('intact' if answer == digest.hexdigest() else 'damaged ' + answer, flush=True)
            """
        let receive = """
            def run(connection):
                digest = hashlib.sha256()
                while True:
                    chunk = connection.recv(1 << 20)
                    if not chunk:
                        break
                    digest.update(chunk)
                connection.sendall(digest.hexdigest().encode())
                print('received', flush=True)
            """
        let listener = Process()
        let listenerOutput = Pipe()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = [
            "ip", "netns", "exec", server, "python3", "-c",
            "import hashlib, os, socket\n" + (upload ? receive : send) + """

                listener = socket.create_server(('', \(port)), family=socket.AF_INET6, dualstack_ipv6=True)
                listener.settimeout(60)
                connection, _ = listener.accept()
                connection.settimeout(60)
                run(connection)
                connection.close()
                """,
        ]
        listener.standardOutput = listenerOutput
        listener.standardError = listenerOutput
        try listener.run()
        defer { HostCommand.kill(listener) }
        usleep(400_000)
        let connector = try HostCommand.run([
            "ip", "netns", "exec", client, "python3", "-c",
            "import hashlib, os, socket\n" + (upload ? send : receive) + """

                connection = socket.create_connection(('\(address)', \(port)), timeout=60)
                run(connection)
                connection.close()
                """,
        ])
        listener.waitUntilExit()
        let listened = String(decoding: listenerOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return upload ? connector.output : listened + (connector.status == 0 ? "" : " (receiver: \(connector.output))")
    }
}
