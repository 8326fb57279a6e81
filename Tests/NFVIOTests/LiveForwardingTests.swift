import Foundation
import NFVIO
import NFVNetlink
import NFVPacket
import NFVPipeline
import NFVTestSupport
import Synchronization
import Testing

/// Real traffic through the live loop: two namespaces, each holding the kernel side of one of
/// the chain's TAPs, a parse + TTL-decrement chain between them on its own thread, and the
/// kernel's own ping across. TTL 63 on the replies shows every packet went through the chain.
@Suite(.serialized) struct LiveForwardingTests {

    /// What the data-plane thread owns.
    final class DataPlane: @unchecked Sendable {
        let pipeline: Pipeline
        let ports: [TapPort]
        let stopping = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)
        init(pipeline: Pipeline, ports: [TapPort]) {
            self.pipeline = pipeline
            self.ports = ports
        }
        func start() {
            Thread {
                try? self.pipeline.run(
                    until: { self.stopping.load(ordering: .acquiring) },
                    idle: { TapPort.waitReadable(self.ports, timeoutMilliseconds: 20) })
                self.finished.signal()
            }.start()
        }
        func stop() {
            stopping.store(true, ordering: .releasing)
            finished.wait()
        }
    }

    @Test(.enabled(if: HostCommand.mayTouchTheKernel, "needs root: TAP devices and namespaces"))
    func pingCrossesTheChainBetweenNamespaces() throws {
        try #require(HostCommand.isRoot, "CI must run this test as root")
        let suffix = String(getpid() % 100_000)
        let client = try NetworkNamespace(name: "nfvt-c\(suffix)")
        let server = try NetworkNamespace(name: "nfvt-s\(suffix)")
        defer {
            try? client.delete()
            try? server.delete()
        }
        let clientPort = try TapPort(name: "nfvtc\(suffix)", portNumber: 0)
        let serverPort = try TapPort(name: "nfvts\(suffix)", portNumber: 1)
        let host = try NetlinkSocket()
        for (port, namespace, address) in [(clientPort, client, "10.216.0.1/24"), (serverPort, server, "10.216.0.2/24")] {
            try host.moveLink(port.name, toNamespaceFD: namespace.fileDescriptor)
            let inside = try namespace.netlink()
            try inside.address(address, on: port.name)
            try inside.setLink(port.name, up: true)
        }

        let pool = PacketPool(slotCount: 2048)
        let chain = Chain(stages: [ParseStage(), DecrementTTLStage()], pool: pool, ingressStageCount: 1)
        let pipeline = Pipeline(
            sources: [clientPort, serverPort], chain: chain, sinks: [clientPort, serverPort],
            batch: PacketBatch(pool: pool))
        let dataPlane = DataPlane(pipeline: pipeline, ports: [clientPort, serverPort])
        dataPlane.start()
        let ping = try HostCommand.run(["ip", "netns", "exec", client.name, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.216.0.2"])
        dataPlane.stop()

        #expect(ping.status == 0, "\(ping.output)")
        #expect(ping.output.contains("3 received"), "\(ping.output)")
        #expect(ping.output.contains("ttl=63"), "the replies crossed the TTL stage: \(ping.output)")
        // ARP both ways plus three echo requests and three replies, at least.
        #expect(clientPort.counters.receivedPackets >= 4 && serverPort.counters.receivedPackets >= 4)
        #expect(chain.counters[1].received >= 8)
        #expect(pool.availableCount == pool.slotCount, "every buffer went back to the pool")
    }
}
