import JSON
import Testing

@testable import TenantWhatsApp

/// Status and connect with webhooks on, through in-memory fakes: a recorded state younger than
/// `STATUS_MAX_AGE_MS` is answered without Evolution, a pushed QR code is answered without asking for one, and
/// connect waits for the push in PostgreSQL before it asks Evolution itself.
@Suite("Flows with pushed state")
struct PushedStateFlowTests {
    private typealias Tenants = FakeTenantRepository
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private static let pushedQRCode = "data:image/png;base64,cHVzaGVk"

    private static func webhookSettings(
        statusMaxAge: Duration = .seconds(5), qrWait: Duration = .seconds(5)
    )
        -> FlowSettings
    {
        var settings = FlowSettings(qrWait: qrWait, upstreamTimeout: .seconds(1))
        settings.webhooks = true
        settings.statusMaxAge = statusMaxAge
        return settings
    }

    private func seed(_ kit: FlowTestKit, _ state: EvolutionConnectionState, checkedAgo age: Int, qrCode: String? = nil)
    {
        var row = Tenants.Row.instance(name, state)
        row.checkedAt = Tenants.checkedAt
        row.checkedAgeMilliseconds = age
        row.qrCode = qrCode
        kit.tenants.seed(tenant, row)
    }

    @Test func statusAnswersAStateObservedWithinTheMaximumAgeFromTheRow() throws {
        let kit = try FlowTestKit(settings: Self.webhookSettings())
        seed(kit, .open, checkedAgo: 4_999)

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body["status"] == "open")
        #expect(answer.body["data"]?["lastCheck"]?.stringValue == Tenants.checkedAt)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.tenants.calls == [.find])
    }

    @Test(arguments: [5_000, 60_000])
    func statusAsksEvolutionOnceTheRecordedStateIsTooOld(age: Int) throws {
        let kit = try FlowTestKit(settings: Self.webhookSettings())
        seed(kit, .connecting, checkedAgo: age)
        kit.evolution.scriptConnectionState(.success(.open))
        kit.evolution.scriptInstanceSummary(.success(nil))

        let answer = kit.status()

        #expect(answer.body["status"] == "open")
        #expect(kit.evolution.calls == [.connectionState(name), .fetchInstance(name)])
    }

    @Test func aMaximumAgeOfZeroAlwaysAsksEvolution() throws {
        let kit = try FlowTestKit(settings: Self.webhookSettings(statusMaxAge: .zero))
        seed(kit, .open, checkedAgo: 0)
        kit.evolution.scriptConnectionState(.success(.open))
        kit.evolution.scriptInstanceSummary(.success(nil))

        _ = kit.status()

        #expect(kit.evolution.calls == [.connectionState(name), .fetchInstance(name)])
    }

    @Test func connectAnswersAPushedQRCodeWithoutCallingEvolution() throws {
        let kit = try FlowTestKit(settings: Self.webhookSettings())
        seed(kit, .connecting, checkedAgo: 60_000, qrCode: Self.pushedQRCode)

        let answer = kit.connect()

        #expect(answer.status == 200)
        #expect(answer.body["qrcode"]?.stringValue == Self.pushedQRCode)
        #expect(kit.evolution.calls.isEmpty)
        #expect(kit.lock.releases.count == 1)
    }

    @Test func connectOfAnOpenInstanceIgnoresAnyStoredQRCodeAndIs409() throws {
        let kit = try FlowTestKit(settings: Self.webhookSettings())
        seed(kit, .open, checkedAgo: 0, qrCode: Self.pushedQRCode)
        kit.evolution.scriptConnectionState(.success(.open))

        let answer = kit.connect()

        #expect(answer.status == 409)
        #expect(answer.error == "already_connected")
    }

    @Test func aCreateWithoutQRCodeWaitsForThePushInsteadOfAskingEvolution() throws {
        let kit = try FlowTestKit(settings: Self.webhookSettings())
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: .qrCodePending)))
        // Evolution's delivery lands while connect waits: the second look at the row finds it.
        kit.tenants.beforeNext(.pushedQRCode) { _ in }
        kit.tenants.beforeNext(.pushedQRCode) { [tenant] rows in rows[tenant]?.qrCode = Self.pushedQRCode }

        let answer = kit.connect()

        #expect(answer.status == 201)
        #expect(answer.body["qrcode"]?.stringValue == Self.pushedQRCode)
        #expect(kit.evolution.calls == [.createInstance(name)])
        #expect(kit.clock.elapsed == .milliseconds(250))
    }

    @Test func withoutAPushConnectStillAsksEvolutionEveryFallbackInterval() throws {
        let kit = try FlowTestKit(settings: Self.webhookSettings(qrWait: .seconds(8)))
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: .qrCodePending)))
        kit.evolution.scriptConnect(.success(.qrCodePending), .success(.qrCode(FakeEvolution.qrCode)))

        let answer = kit.connect()

        #expect(answer.status == 201)
        #expect(kit.evolution.calls == [.createInstance(name), .connect(name), .connect(name)])
        #expect(kit.evolution.callTimes == [.zero, .seconds(3), .seconds(6)])
    }
}
