import Foundation
import NFVPacket
import NFVPipeline
import NFVSwitch
import Testing

/// A switch's learnt stations carried into a fresh instance (a restore or a migration): a frame
/// to a known station goes to its port alone, where a fresh switch without the state floods it;
/// what it takes is what it gives back.
@Suite struct SwitchStateTests {
    typealias Helpers = SwitchStageTests

    @Test func learntStationsAreKeptInAFreshInstance() throws {
        let first = try Helpers.l2Switch()
        _ = try Helpers.run(
            first,
            [
                (1, Helpers.udp(from: Helpers.a, to: Helpers.b, time: 1 * Helpers.second)),
                (2, Helpers.udp(from: Helpers.b, to: Helpers.a, time: 2 * Helpers.second)),
                (5, Helpers.udp(from: Helpers.c, to: Helpers.a, vlan: 20, time: 3 * Helpers.second)),
            ])
        let now = 4 * Helpers.second
        let record = try JSONDecoder().decode(StageStateRecord.self, from: JSONEncoder().encode(first.exportState(now: now)))
        #expect(
            Set((record.stations ?? []).map { "\($0.mac)@\($0.vlan)->\($0.port)" })
                == ["02:00:00:00:00:0a@10->p1", "02:00:00:00:00:0b@10->p2", "02:00:00:00:00:0c@20->trunk"], "\(record)")

        // The control: a fresh switch floods a frame for B within VLAN 10.
        let control = try Helpers.run(try Helpers.l2Switch(), [(3, Helpers.udp(from: Helpers.d, to: Helpers.b, time: now))])
        #expect(control[1].count == 1 && control[2].count == 1, "flooded")

        let restored = try Helpers.l2Switch()
        #expect(try restored.importState(record, now: now) == 3)
        let out = try Helpers.run(restored, [(3, Helpers.udp(from: Helpers.d, to: Helpers.b, time: now))])
        #expect(out[2].count == 1 && out[1].isEmpty && out[5].isEmpty, "B's port alone: it was known")
        #expect(restored.exportState(now: now).stations?.count == 4, "B, A, C and now D")
        // Ageing goes on from where it was: the stations expire when they would have.
        #expect(restored.macTable(now: now + 400 * Helpers.second).isEmpty)
    }
}
