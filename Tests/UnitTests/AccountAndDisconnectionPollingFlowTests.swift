import JSON
import Testing

@testable import TenantWhatsApp

/// Who is connected and why it dropped when polling (issue 24, item 2), through the status route and in-memory fakes:
/// the first `open` a check sees learns the account with one `fetchInstances?instanceName=` call, written with the
/// state; a `close` a check sees gets no reason until it has lasted `STATUS_CLOSE_GRACE_MS`, then `connection_lost`
/// without a code.
@Suite("Connected account and last disconnection when polling")
struct AccountAndDisconnectionPollingFlowTests {
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private static let jid = "5511987654321@s.whatsapp.net"
    private let kit: FlowTestKit

    init() throws {
        kit = try FlowTestKit()
    }

    /// The grace of the kit's settings, in milliseconds (30 s: the default).
    private var graceMilliseconds: Int { Int(kit.settings.closeGrace / .milliseconds(1)) }

    private func seed(_ status: EvolutionConnectionState, closedFor milliseconds: Int? = nil) {
        var row = FakeTenantRepository.Row.instance(name, status)
        row.closedAgeMilliseconds = milliseconds
        kit.tenants.seed(tenant, row)
    }

    @Test func theFirstPolledOpenLearnsTheAccountWithOneCallAndRecordsItWithTheState() {
        seed(.connecting)
        kit.evolution.scriptConnectionState(.success(.open))
        kit.evolution.scriptInstanceSummary(.success(FakeEvolution.summary(name, jid: Self.jid, profileName: "Loja")))

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body["data"]?["account"]?["phoneNumber"] == "+5511987654321")
        #expect(answer.body["data"]?["account"]?["name"] == "Loja")
        #expect(answer.body["data"]?["account"]?["connectedAt"] == .string(FakeTenantRepository.changedAt))
        #expect(kit.evolution.calls == [.connectionState(name), .fetchInstance(name)])
        #expect(kit.tenants.calls == [.find, .recordState])
        #expect(kit.tenants.row(of: tenant)?.account == ConnectedAccount(jid: Self.jid, name: "Loja"))
        #expect(kit.audit.rows.map(\.outcome) == ["open"])
    }

    @Test func aFailedAccountFetchStillAnswersOpenAndALaterStatusTriesAgain() {
        seed(.connecting)
        kit.evolution.scriptConnectionState(.success(.open), .success(.open))
        kit.evolution.scriptInstanceSummary(
            .failure(.server(status: 500, messages: ["boom"])),
            .success(FakeEvolution.summary(name, jid: Self.jid, profileName: nil)))

        let first = kit.status()
        #expect(first.status == 200)
        #expect(first.body["status"] == "open")
        #expect(first.body["data"]?["account"] == nil)
        #expect(kit.tenants.row(of: tenant)?.status == .open)

        let second = kit.status()
        #expect(second.body["data"]?["account"]?["phoneNumber"] == "+5511987654321")
        #expect(second.body["data"]?["account"]?["name"] == .null)
        #expect(
            kit.evolution.calls == [
                .connectionState(name), .fetchInstance(name), .connectionState(name), .fetchInstance(name),
            ])
        #expect(kit.audit.rows.map(\.outcome) == ["open"])
    }

    @Test func anOpenWhoseAccountIsRecordedAsksOnlyForTheState() {
        var row = FakeTenantRepository.Row.instance(name, .open)
        row.account = ConnectedAccount(jid: Self.jid, name: "Loja")
        kit.tenants.seed(tenant, row)
        kit.evolution.scriptConnectionState(.success(.open))

        let answer = kit.status()

        #expect(answer.body["data"]?["account"]?["name"] == "Loja")
        #expect(kit.evolution.calls == [.connectionState(name)])
    }

    @Test func aPolledCloseGetsNoReasonBeforeTheGraceHasPassed() {
        seed(.open)
        kit.evolution.scriptConnectionState(.success(.close), .success(.close))

        let first = kit.status()
        #expect(first.body["status"] == "close")
        #expect(first.body["data"]?["lastDisconnection"] == nil)
        #expect(kit.tenants.row(of: tenant)?.closedAgeMilliseconds == 0)

        seed(.close, closedFor: graceMilliseconds - 1)
        let second = kit.status()
        #expect(second.body["data"]?["lastDisconnection"] == nil)
        #expect(kit.tenants.row(of: tenant)?.lastDisconnection == nil)
        #expect(kit.audit.rows.map(\.outcome) == ["close"])
    }

    @Test func aPolledCloseThatLastedTheGraceIsALostConnectionWithoutACode() throws {
        seed(.close, closedFor: graceMilliseconds)
        kit.evolution.scriptConnectionState(.success(.close))

        let answer = kit.status()

        let last = try #require(answer.body["data"]?["lastDisconnection"])
        #expect(last["reason"] == "connection_lost")
        #expect(last["message"] == "A conexão com o WhatsApp caiu.")
        #expect(kit.tenants.row(of: tenant)?.lastDisconnection?.code == nil)
        #expect(kit.audit.rows.map(\.outcome) == ["close:connection_lost"])
    }

    @Test func aPolledCloseNeverReplacesTheReasonRecordedForTheDrop() {
        var row = FakeTenantRepository.Row.instance(name, .close)
        row.closedAgeMilliseconds = graceMilliseconds * 10
        row.lastDisconnection = Disconnection(reason: .loggedOut, code: 401, at: FakeTenantRepository.changedAt)
        kit.tenants.seed(tenant, row)
        kit.evolution.scriptConnectionState(.success(.close))

        let answer = kit.status()

        #expect(answer.body["data"]?["lastDisconnection"]?["reason"] == "logged_out")
        #expect(kit.tenants.row(of: tenant)?.lastDisconnection?.code == 401)
        #expect(kit.audit.rows.isEmpty)
    }

    @Test func aConnectingStateAfterAShortCloseEndsTheCloseWithoutAReason() {
        seed(.close, closedFor: graceMilliseconds - 1)
        kit.evolution.scriptConnectionState(.success(.connecting))

        let answer = kit.status()

        #expect(answer.body["data"]?["lastDisconnection"] == nil)
        #expect(kit.tenants.row(of: tenant)?.closedAgeMilliseconds == nil)
        #expect(kit.tenants.row(of: tenant)?.lastDisconnection == nil)
    }
}
