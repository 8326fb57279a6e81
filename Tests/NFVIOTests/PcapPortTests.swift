import Foundation
import NFVIO
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Testing

@Suite struct PcapPortTests {
    @Test func pcapAndPcapngOfTheSameTrafficReadAlike() throws {
        let classic = try Fixtures.frames("ttl-in.pcap")
        let next = try Fixtures.frames("ttl-in.pcapng")
        #expect(classic.count == 34)
        #expect(classic.map(\.bytes) == next.map(\.bytes))
        #expect(classic.map { $0.timestamp / 1000 } == next.map { $0.timestamp / 1000 })
        // generate.py stamps packet i at 1700000000 + i ms + 7 us.
        #expect(classic[3].timestamp == 1_700_000_000_000_000_000 + 3_000_000 + 7_000)
    }

    @Test func writtenCaptureReadsBackAndTcpdumpAgrees() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.pcap").path
        let frames = try Fixtures.frames("ttl-in.pcap")
        let pool = PacketPool(slotCount: 256)
        let batch = PacketBatch(pool: pool)
        let input = MemoryPort(frames: frames)
        _ = try input.receive(into: batch, limit: 256)
        let sink = try PcapFileSink(path: path)
        try sink.transmit(batch)
        sink.close()
        #expect(batch.count == 0 && pool.availableCount == 256)
        #expect(sink.counters.transmittedPackets == UInt64(frames.count))
        let again = try PcapFileSource.readAll(path: path)
        #expect(again.map(\.bytes) == frames.map(\.bytes))
        #expect(again.map(\.timestamp) == frames.map { $0.timestamp / 1000 * 1000 })

        // An independent reader: tcpdump must parse every record.
        let output = try run("/usr/bin/env", ["tcpdump", "-nn", "-r", path])
        let lines = output.split(separator: "\n")
        #expect(lines.count == frames.count)
        #expect(lines.first?.contains("10.0.0.1.30000 > 192.0.2.10.80") == true)
    }

    @Test func missingFileIsNamed() {
        #expect { try PcapFileSource(path: "/nonexistent/capture.pcap") } throws: { error in
            "\(error)".hasPrefix("/nonexistent/capture.pcap: cannot read capture:")
        }
    }

    @Test func garbageFileIsNamedWithTheProblem() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("garbage.pcap").path
        try Data("this is not a capture file at all".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try PcapFileSource(path: path) } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("\(path): cannot read capture:") && text.contains("format")
        }
        let empty = directory.appendingPathComponent("empty.pcap").path
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(throws: PortError.self) { try PcapFileSource(path: empty) }
    }

    @Test func captureCutInsideARecordNamesThePacket() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("ttl-in.pcap")))
        // 24-byte file header, then 16-byte record headers; cut 10 bytes into the 3rd frame.
        let frames = try Fixtures.frames("ttl-in.pcap")
        let cut = 24 + 16 + frames[0].bytes.count + 16 + frames[1].bytes.count + 16 + 10
        let path = directory.appendingPathComponent("cut.pcap").path
        try whole.prefix(cut).write(to: URL(fileURLWithPath: path))
        let source = try PcapFileSource(path: path)
        let batch = PacketBatch(pool: PacketPool(slotCount: 64))
        #expect { _ = try source.receive(into: batch, limit: 64) } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("\(path): packet 3:") && text.contains("truncated")
        }
        #expect(batch.count == 2)
        batch.releaseAll()
    }

    @Test func nonEthernetLinkTypeIsRefused() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var header = Data()
        func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
        append32(0xA1B2_C3D4)
        append16(2)
        append16(4)
        append32(0)
        append32(0)
        append32(65535)
        append32(101)  // LINKTYPE_RAW
        let path = directory.appendingPathComponent("raw.pcap").path
        try header.write(to: URL(fileURLWithPath: path))
        #expect { try PcapFileSource(path: path) } throws: { error in
            "\(error)".contains("link type RAW") && "\(error)".contains("EN10MB")
        }
    }

    @Test func framesLargerThanABufferAreCountedNotTruncated() throws {
        let frames = [
            MemoryPort.Frame(bytes: [UInt8](repeating: 1, count: 100)),
            MemoryPort.Frame(bytes: [UInt8](repeating: 2, count: 2000)),
            MemoryPort.Frame(bytes: [UInt8](repeating: 3, count: 60)),
        ]
        let port = MemoryPort(frames: frames)
        let batch = PacketBatch(pool: PacketPool(slotCount: 8, slotByteCount: 1024))
        #expect(try port.receive(into: batch, limit: 8) == 2)
        #expect(port.counters.drops[.frameTooLarge] == 1)
        #expect(batch.bytes(1).first == 3)
        batch.releaseAll()
    }

    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(arguments)")
        return String(decoding: data, as: UTF8.self)
    }
}

@Suite struct TimeOrderedSourceTests {
    /// Two captures with interleaved timestamps come out in time order, each frame stamped
    /// with its file's port, and no batch mixes ports.
    @Test func mergesByTimestampWithoutMixingPortsInABatch() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let times: [[UInt64]] = [[1, 2, 5, 9], [3, 4, 6, 7, 8]]
        var paths: [String] = []
        for (port, list) in times.enumerated() {
            let path = directory.appendingPathComponent("port\(port).pcap").path
            let sink = try PcapFileSink(path: path)
            for time in list {
                var frame = [UInt8](repeating: 0, count: 60)
                frame[14] = UInt8(port)
                frame[15] = UInt8(time)
                frame.withUnsafeBytes { sink.write($0, timestamp: time * 1_000_000) }
            }
            sink.close()
            paths.append(path)
        }
        let source = TimeOrderedSource(sources: try paths.enumerated().map { try PcapFileSource(path: $1, portNumber: UInt16($0)) })
        let batch = PacketBatch(pool: PacketPool(slotCount: 64))
        var order: [UInt8] = []
        var batchPorts: [[UInt16]] = []
        while !source.isExhausted {
            _ = try source.receive(into: batch, limit: 256)
            guard batch.count > 0 else { continue }
            order += (0..<batch.count).map { batch.bytes($0)[15] }
            batchPorts.append((0..<batch.count).map { batch.metadata[$0].inPort })
            batch.releaseAll()
        }
        #expect(order == Array(1...9))
        #expect(batchPorts == [[0, 0], [1, 1], [0], [1, 1, 1], [0]])
    }
}
