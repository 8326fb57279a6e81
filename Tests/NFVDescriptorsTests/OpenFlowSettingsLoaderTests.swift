import NFVDescriptors
import NFVSwitch
import Testing

/// `openflow:` in a SwitchConfig: what it reads, and every mistake at its own line and column
/// with the field and a fix.
@Suite struct OpenFlowSettingsLoaderTests {
    static func document(_ openflow: String, flows: String = "") -> String {
        """
        apiVersion: nfv/v1
        kind: SwitchConfig
        metadata: { name: s }
        spec:
          ports: [{ port: a }, { port: b }]
        \(flows)  openflow:
        \(openflow)
        """
    }

    @Test func readsTheChannel() throws {
        let loaded = try SwitchConfigLoader().parse(
            Self.document(
                """
                    datapathID: "0x2a"
                    listen: [tcp:127.0.0.1:16653, unix:/run/s.sock, tcp:0.0.0.0]
                    controllers: [tcp:192.0.2.1:6633]
                    failMode: standalone
                    flowCapacity: 100
                    tables: 4
                """), file: "s.yaml")
        let settings = try #require(loaded.configuration.openflow)
        #expect(settings.datapathID == 42 && settings.failMode == .standalone && settings.flowCapacity == 100 && settings.tableCount == 4)
        #expect(settings.listen.map(\.description) == ["tcp:127.0.0.1:16653", "unix:/run/s.sock", "tcp:0.0.0.0:6653"])
        #expect(settings.controllers.map(\.description) == ["tcp:192.0.2.1:6633"])
        #expect(
            loaded.configuration.flows == ["cookie=0x4641494c4f50454e,priority=0,actions=normal"],
            "standalone without flows: a learning switch, under the fail-open cookie")
        let secure = try SwitchConfigLoader().parse(Self.document("    datapathID: 7\n    listen: [tcp:127.0.0.1]"), file: "s.yaml")
        #expect(secure.configuration.flows.isEmpty, "secure without flows: empty tables")
        #expect(secure.configuration.openflow?.datapathID == 7)
    }

    @Test func mistakesAreReportedWhereTheyAre() {
        let text = Self.document(
            """
                datapathID: "0xzz"
                listen: [tcp:localhost:6653, unix:relative.sock]
                controllers: [unix:/run/c.sock]
                failMode: fail-open
                tables: 300
                lissen: []
            """)
        var errors: [String] = []
        do { _ = try SwitchConfigLoader().parse(text, file: "s.yaml") } catch { errors = error.errors.map(\.description) }
        let expected: [(String, String)] = [
            ("s.yaml:7:17", "spec.openflow.datapathID"), ("s.yaml:8:14", "spec.openflow.listen[0]"),
            ("s.yaml:8:34", "spec.openflow.listen[1]"), ("s.yaml:9:19", "spec.openflow.controllers[0]"),
            ("s.yaml:10:15", "spec.openflow.failMode"), ("s.yaml:11:13", "spec.openflow.tables"), ("s.yaml:12:5", "spec.openflow.lissen"),
        ]
        #expect(errors.count == expected.count, "\(errors.joined(separator: "\n"))")
        for (place, field) in expected {
            #expect(errors.contains { $0.hasPrefix(place) && $0.contains(field) }, "\(place) \(field) in:\n\(errors.joined(separator: "\n"))")
        }
        #expect(errors.contains { $0.contains("did you mean \"listen\"") })
        #expect(errors.contains { $0.contains("write secure or standalone") })
    }
}
