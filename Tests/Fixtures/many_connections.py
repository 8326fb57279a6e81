#!/usr/bin/env python3
"""Many concurrent TCP connections between one client and one server address and port, as a
browser's connection pool, a load test or `iperf3 -P` make them.

  many_connections.py server ADDRESS PORT[,PORT...]
      echoes every line it receives, on any number of connections, until killed.
  many_connections.py client ADDRESS PORT COUNT [hold]
      opens COUNT connections (all open at once, from one source address, so only the source
      ports differ), then sends a message on each and reads the echo, then does it again on
      every connection. Prints one JSON line: {"connected": n, "first": n, "second": n,
      "failures": {reason: count}} and exits 0 only when all COUNT succeed in each round.
      With "hold", it prints "first N" after the first round and keeps every connection open
      and idle until a line arrives on standard input, then does the second round.
"""
import errno
import json
import resource
import selectors
import socket
import sys
import time


def raise_file_limit(wanted):
    """Raises the soft limit on open files towards `wanted`, up to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def server(address, ports):
    raise_file_limit(65536)
    selector = selectors.DefaultSelector()
    for port in ports:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(65535)
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ, None)
    print("listening", flush=True)
    pending = {}
    while True:
        for key, _ in selector.select():
            if key.data is None:
                while True:
                    try:
                        connection, _ = key.fileobj.accept()
                    except BlockingIOError:
                        break
                    connection.setblocking(False)
                    pending[connection] = b""
                    selector.register(connection, selectors.EVENT_READ, "peer")
                continue
            connection = key.fileobj
            try:
                data = connection.recv(4096)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:
                selector.unregister(connection)
                pending.pop(connection, None)
                connection.close()
                continue
            buffered = pending[connection] + data
            *lines, rest = buffered.split(b"\n")
            pending[connection] = rest
            for line in lines:
                connection.sendall(line.upper() + b"\n")


def client(address, port, count, hold=False, deadline_seconds=240):
    raise_file_limit(count + 1024)
    deadline = time.monotonic() + deadline_seconds
    failures = {}

    def fail(reason):
        failures[reason] = failures.get(reason, 0) + 1

    # Open every connection, a wave at a time, and keep them all open.
    connections = []
    wave = 256
    for start in range(0, count, wave):
        opening = []
        for index in range(start, min(start + wave, count)):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            code = sock.connect_ex((address, port))
            if code not in (0, errno.EINPROGRESS):
                fail(errno.errorcode.get(code, str(code)))
                sock.close()
                continue
            opening.append(sock)
        selector = selectors.DefaultSelector()
        for sock in opening:
            selector.register(sock, selectors.EVENT_WRITE)
        waiting = set(opening)
        while waiting and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1):
                sock = key.fileobj
                selector.unregister(sock)
                waiting.discard(sock)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code == 0:
                    connections.append(sock)
                else:
                    fail("connect " + errno.errorcode.get(code, str(code)))
                    sock.close()
        for sock in waiting:
            fail("connect timeout")
            sock.close()
        selector.close()
    connected = len(connections)

    def exchange(round_name):
        """Sends one line on every connection and reads every echo; returns the successes."""
        selector = selectors.DefaultSelector()
        expected = {}
        for index, sock in enumerate(connections):
            message = b"%s %d from port %d\n" % (round_name.encode(), index, sock.getsockname()[1])
            try:
                sock.sendall(message)
            except OSError as error:
                fail(round_name + " send " + errno.errorcode.get(error.errno, str(error.errno)))
                continue
            expected[sock] = (message.upper(), b"")
            selector.register(sock, selectors.EVENT_READ)
        good = 0
        while expected and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1):
                sock = key.fileobj
                want, got = expected[sock]
                try:
                    data = sock.recv(4096)
                except OSError as error:
                    data = b""
                    fail(round_name + " recv " + errno.errorcode.get(error.errno, str(error.errno)))
                if not data:
                    if want:
                        fail(round_name + " closed")
                    selector.unregister(sock)
                    del expected[sock]
                    continue
                got += data
                if len(got) >= len(want):
                    if got == want:
                        good += 1
                    else:
                        fail(round_name + " wrong echo")
                    selector.unregister(sock)
                    del expected[sock]
                else:
                    expected[sock] = (want, got)
        for _ in expected:
            fail(round_name + " timeout")
        selector.close()
        return good

    first = exchange("first")
    if hold:
        print("first %d" % first, flush=True)
        sys.stdin.readline()
        deadline = time.monotonic() + deadline_seconds
    second = exchange("second")
    for sock in connections:
        sock.close()
    print(json.dumps({"connected": connected, "first": first, "second": second, "failures": failures}), flush=True)
    return 0 if connected == first == second == count else 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "server":
        server(sys.argv[2], [int(port) for port in sys.argv[3].split(",")])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "client" and sys.argv[5:] in ([], ["hold"]):
        sys.exit(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), hold=len(sys.argv) == 6))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
