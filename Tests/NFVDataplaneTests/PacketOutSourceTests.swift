import NFVPacket
import NFVSwitch
import Testing

@testable import NFVDataplane

/// A controller's PACKET_OUTs enter worker 0 through `PacketOutSource`: the chain runs a batch
/// in the direction of its port, so a batch must hold the packets of one in_port (mixing them
/// once crashed a worker under os-ken's flood of packet-outs), in the order they were sent, with
/// each packet's own actions handed to the switch.
@Suite struct PacketOutSourceTests {
    @Test func eachBatchHoldsOneInPortInOrder() throws {
        let channel = ControllerChannel()
        let stage = SwitchStage(name: "sw", ports: [.init(name: "a", number: 0, mode: .raw), .init(name: "b", number: 1, mode: .raw)], flows: [])
        let source = PacketOutSource(channel: channel, stage: stage)
        let pool = PacketPool(slotCount: 64)
        let batch = PacketBatch(pool: pool)
        let frame = [UInt8](repeating: 0xAB, count: 60)
        let inPorts: [UInt16?] = [0, 0, nil, 1, 1, 1, 0]
        channel.packetOuts.withLock { waiting in
            for (index, port) in inPorts.enumerated() {
                waiting.append(.init(frame: frame + [UInt8(index)], inPort: port, actions: index == 2 ? nil : [.output(1)]))
            }
        }
        channel.pendingPacketOuts.store(inPorts.count, ordering: .releasing)
        var batches: [[UInt16]] = []
        var lastBytes: [UInt8] = []
        while true {
            let count = try source.receive(into: batch, limit: 32)
            guard count > 0 else { break }
            batches.append((0..<batch.count).map { batch.metadata[$0].inPort })
            for index in 0..<batch.count {
                let entry = batch.metadata[index]
                let sent = (batch.pool.slot(entry.id) + Int(entry.dataOffset)).load(fromByteOffset: 60, as: UInt8.self)
                lastBytes.append(sent)
                // As the switch does: take the packet's own actions (TABLE has none).
                let actions = stage.packetOutActions.removeValue(forKey: entry.id)
                #expect(actions == (sent == 2 ? nil : [.output(1)]), "packet \(sent)")
            }
            batch.releaseAll()
        }
        let controller = ControllerChannel.controllerPort
        #expect(batches == [[0, 0], [controller], [1, 1, 1], [0]])
        #expect(lastBytes == [0, 1, 2, 3, 4, 5, 6], "the order they were sent")
        #expect(stage.packetOutActions.isEmpty)
        #expect(channel.pendingPacketOuts.load(ordering: .acquiring) == 0)
    }
}
