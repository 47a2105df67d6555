import JSON
import Testing

@testable import TenantWhatsApp

/// A status check that finds the state it already recorded writes nothing (issue 11): no UPDATE, no audit row,
/// unless the recorded check time is older than the refresh interval (a minute; less when status answers from the
/// row). A changed state is still written and audited.
@Suite("Status without writes when nothing changed")
struct UnchangedStateFlowTests {
    private typealias Tenants = FakeTenantRepository
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance

    private func seed(_ kit: FlowTestKit, _ state: EvolutionConnectionState, checkedAgo age: Int) {
        var row = Tenants.Row.instance(name, state)
        row.checkedAt = Tenants.seededAt
        row.checkedAgeMilliseconds = age
        // An open instance's account is recorded, as after its first check: no check asks for it again.
        if state == .open { row.account = ConnectedAccount(jid: "5511987654321@s.whatsapp.net", name: nil) }
        kit.tenants.seed(tenant, row)
    }

    @Test(arguments: [0, 59_999])
    func anUnchangedStateCheckedWithinAMinuteIsAnsweredWithoutAnyWrite(age: Int) throws {
        let kit = try FlowTestKit()
        seed(kit, .open, checkedAgo: age)
        kit.evolution.scriptConnectionState(.success(.open))

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body["status"] == "open")
        #expect(answer.body["data"]?["lastCheck"]?.stringValue == ManualFlowClock.timestamp)
        #expect(kit.evolution.calls == [.connectionState(name)])
        #expect(kit.tenants.calls == [.find])
        #expect(kit.audit.entries.isEmpty)
    }

    @Test func anUnchangedStateCheckedAMinuteAgoRefreshesItsCheckTime() throws {
        let kit = try FlowTestKit()
        seed(kit, .open, checkedAgo: 60_000)
        kit.evolution.scriptConnectionState(.success(.open))

        let answer = kit.status()

        #expect(answer.body["data"]?["lastCheck"]?.stringValue == Tenants.checkedAt)
        #expect(kit.tenants.calls == [.find, .recordState])
        #expect(kit.audit.entries.isEmpty)
    }

    @Test func aChangedStateIsWrittenAndAuditedHoweverRecentTheLastCheck() throws {
        let kit = try FlowTestKit()
        seed(kit, .connecting, checkedAgo: 0)
        kit.evolution.scriptConnectionState(.success(.open))

        _ = kit.status()

        #expect(kit.tenants.calls == [.find, .recordState])
        #expect(kit.tenants.row(of: tenant)?.status == .open)
        #expect(kit.audit.rows.map(\.outcome) == ["open"])
    }

    @Test func withStatusAnsweredFromTheRowACheckPastTheMaximumAgeRefreshesIt() throws {
        var settings = FlowSettings(qrWait: .seconds(2), upstreamTimeout: .seconds(1))
        settings.statusMaxAge = .seconds(5)
        let kit = try FlowTestKit(settings: settings)
        seed(kit, .open, checkedAgo: 5_000)
        kit.evolution.scriptConnectionState(.success(.open))

        _ = kit.status()

        #expect(kit.evolution.calls == [.connectionState(name)])
        #expect(kit.tenants.calls == [.find, .recordState])
    }
}
