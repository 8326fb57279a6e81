import Foundation
import NFVCatalog
import NFVIO
import NFVPacket
import NFVPipeline
import NFVReplay
import NFVTestSupport
import Synchronization
import Testing

/// A capture of real GSO super-frames: this test forwards a TCP transfer between two namespaces
/// itself, through two TAPs opened with offloads, and records every frame exactly as the TAP
/// reads return them (super-frames of many KB with partial checksums). Replayed through a
/// chain into a capture, they must come out as segments that fit the MTU with every checksum
/// right and the same bytes, as scapy (not our code) reads them.
@Suite(.serialized) struct SuperFrameCaptureTests {
    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func recordedSuperFramesReplayIntoCheckedSegments() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let (client, server) = ("nfvt-gc\(suffix)", "nfvt-gs\(suffix)")
        let (tapA, tapB) = ("nfvtga\(suffix)", "nfvtgb\(suffix)")
        let directory = try Fixtures.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: directory)
            _ = try? HostCommand.run(["ip", "netns", "del", client])
            _ = try? HostCommand.run(["ip", "netns", "del", server])
        }
        let a = try TapPort(name: tapA, portNumber: 0, offloads: true)
        let b = try TapPort(name: tapB, portNumber: 1, offloads: true)
        for (namespace, tap, address) in [(client, tapA, "10.219.0.1/24"), (server, tapB, "10.219.0.2/24")] {
            _ = try HostCommand.check(["ip", "netns", "add", namespace])
            _ = try HostCommand.check(["ip", "link", "set", tap, "netns", namespace])
            _ = try HostCommand.check(["ip", "-n", namespace, "addr", "add", address, "dev", tap])
            _ = try HostCommand.check(["ip", "-n", namespace, "link", "set", tap, "up"])
        }
        let recordedPath = directory.appendingPathComponent("recorded.pcap").path
        let recorder = try PcapFileSink(path: recordedPath)
        let forwarder = RecordingForwarder(a: a, b: b, recorder: recorder)
        let transfer = try BulkTransfer.run(client: client, server: server, address: "10.219.0.2", port: 9000, megabytes: 4, upload: true)
        forwarder.stop()
        recorder.close()
        #expect(transfer.contains("intact"), "4 MB through the recording forwarder: \(transfer)")

        let chainPath = directory.appendingPathComponent("replay.yaml").path
        try """
        apiVersion: nfv/v1
        kind: Chain
        metadata: { name: super-frames }
        spec:
          ports:
            - { name: in,  type: pcap-in,  path: recorded.pcap }
            - { name: out, type: pcap-out, path: replayed.pcap }
          stages:
            - { name: pass, vnf: pass-through }
        """.write(toFile: chainPath, atomically: true, encoding: .utf8)
        _ = try Replayer.run(try LoadedChain.load(path: chainPath), options: Replayer.Options())

        // scapy judges: the recording holds super-frames, the replay none, every checksum of the
        // replay verifies, and each direction's TCP bytes are the same in both files.
        let verdict = try HostCommand.run([
            "python3", "-c",
            """
            import logging, sys
            logging.getLogger('scapy.runtime').setLevel(logging.ERROR)
            from scapy.all import rdpcap, Ether, IP, TCP, raw
            def streams(packets):
                pieces = {}
                for p in packets:
                    if IP in p and TCP in p and len(p[TCP].payload):
                        pieces.setdefault((p[IP].src, p[TCP].sport), []).append((p[TCP].seq, raw(p[TCP].payload)))
                data = {}
                for key, parts in pieces.items():
                    parts.sort(key=lambda part: part[0])
                    stream, end = bytearray(), parts[0][0]
                    for seq, payload in parts:
                        if seq + len(payload) > end:
                            stream += payload[max(0, end - seq):]
                            end = seq + len(payload)
                    data[key] = bytes(stream)
                return data
            recorded = rdpcap(sys.argv[1])
            replayed = rdpcap(sys.argv[2])
            big = sum(1 for p in recorded if len(p) > 1514)
            too_long = sum(1 for p in replayed if len(p) > 1514)
            bad = 0
            for p in replayed:
                if IP in p and TCP in p:
                    again = Ether(raw(p))
                    del again[IP].chksum
                    del again[TCP].chksum
                    again = Ether(raw(again))
                    bad += again[IP].chksum != p[IP].chksum or again[TCP].chksum != p[TCP].chksum
            same = streams(recorded) == streams(replayed)
            print('super-frames', big, 'too-long', too_long, 'bad-checksums', bad, 'same-bytes', same, 'frames', len(replayed))
            """,
            recordedPath, directory.appendingPathComponent("replayed.pcap").path,
        ])
        #expect(verdict.status == 0, "\(verdict.output)")
        let words = verdict.output.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        let value = { (name: String) in words.firstIndex(of: name).map { words[$0 + 1] } ?? "?" }
        #expect((Int(value("super-frames")) ?? 0) > 10, "the TAP reads held super-frames: \(verdict.output)")
        #expect(value("too-long") == "0" && value("bad-checksums") == "0" && value("same-bytes") == "True", "\(verdict.output)")
    }
}

/// Forwards between two TAPs on its own thread until `stop()`: parses each frame (as a chain's
/// parse stage does, so offloads are checked and rebuilt), records it as read, sends it on.
final class RecordingForwarder: @unchecked Sendable {
    let a: TapPort
    let b: TapPort
    let recorder: PcapFileSink
    let stopping = Atomic<Bool>(false)
    let finished = DispatchSemaphore(value: 0)

    init(a: TapPort, b: TapPort, recorder: PcapFileSink) {
        self.a = a
        self.b = b
        self.recorder = recorder
        Thread { self.run() }.start()
    }

    func run() {
        let pool = PacketPool(slotCount: 512, slotByteCount: PacketPool.superFrameSlotByteCount)
        let batch = PacketBatch(pool: pool, capacity: 64)
        while !stopping.load(ordering: .acquiring) {
            var moved = 0
            for (from, to) in [(a, b), (b, a)] {
                guard let count = try? from.receive(into: batch, limit: 64), count > 0 else { continue }
                moved += count
                for index in 0..<batch.count {
                    _ = ParseStage.parse(batch.frame(index), metadata: &batch.metadata[index])
                }
                try? recorder.record(batch)
                try? to.transmit(batch)
            }
            if moved == 0 { TapPort.waitReadable([a, b], timeoutMilliseconds: 10) }
        }
        finished.signal()
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        finished.wait()
    }
}
