import JSON
import Runtime
import Testing

@testable import TenantWhatsApp

/// Who is connected and why the connection dropped (issue 24, webhook path), through the webhook route's handler, the
/// WhatsApp routes and in-memory fakes: what each event Evolution pushes records, and what status then shows.
@Suite("Connected account and last disconnection")
struct AccountAndDisconnectionFlowTests {
    private typealias Kit = WebhookTestKit
    private static let wuid = "5511987654321@s.whatsapp.net"

    /// `connection.update`'s `data` for `state`, with `extra` members (`"statusReason":401`).
    private static func update(_ state: String, _ extra: String = "") -> String {
        #"{"instance":"\#(Kit.instance)","state":"\#(state)"\#(extra.isEmpty ? "" : "," + extra)}"#
    }

    /// Delivers `events` in order, one second apart, ending a few seconds before the kit's now.
    private static func deliver(_ kit: Kit, _ events: [(String, String)]) {
        for (index, event) in events.enumerated() {
            let sent = Kit.shifted(kit.now, by: Int64(index - events.count - 5))
            let answer = kit.deliver(event.0, data: event.1, dateTime: Kit.reading(sent), signedAt: sent)
            #expect(answer.status == 200)
        }
    }

    private static func openKit() throws -> Kit {
        let kit = try Kit()
        kit.seedInstance(.connecting, createdAt: Kit.shifted(kit.now, by: -60))
        return kit
    }

    private static func statusBody(of kit: Kit) throws -> JSONValue {
        let record = try #require(try kit.tenants.find(Kit.tenant))
        guard let name = record.instanceName, let state = record.status else {
            return WhatsAppResponses.notCreatedBody(tenant: Kit.tenant, lastCheck: "x", details: record.details)
        }
        return WhatsAppResponses.statusBody(
            state, instanceName: name, tenant: Kit.tenant, lastCheck: "x", details: record.details)
    }

    @Test func anOpenStoresTheAccountAndStatusShowsItsNumberAndName() throws {
        let kit = try Self.openKit()

        Self.deliver(kit, [("connection.update", Self.update("open", #""wuid":"\#(Self.wuid)","profileName":"Loja""#))])

        let account = try #require(try Self.statusBody(of: kit)["data"]?["account"])
        #expect(account["phoneNumber"] == "+5511987654321")
        #expect(account["name"] == "Loja")
        #expect(account["connectedAt"]?.stringValue == FakeTenantRepository.changedAt)
        #expect(try Self.statusBody(of: kit)["data"]?["lastDisconnection"] == nil)
    }

    @Test(arguments: [
        (401, "logged_out"), (402, "restricted"), (403, "restricted"), (406, "restricted"), (408, "connection_lost"),
        (500, "unknown"),
    ])
    func aLogoutThenAFinalCloseIsRecordedWithTheClosesReason(code: Int, reason: String) throws {
        let kit = try Self.openKit()

        Self.deliver(
            kit,
            [
                ("connection.update", Self.update("open", #""wuid":"\#(Self.wuid)""#)), ("logout.instance", "{}"),
                ("connection.update", Self.update("close", #""statusReason":\#(code)"#)),
            ])

        let body = try Self.statusBody(of: kit)
        #expect(body["data"]?["account"] == nil)
        let last = try #require(body["data"]?["lastDisconnection"])
        #expect(last["reason"]?.stringValue == reason)
        #expect(last["message"]?.stringValue == DisconnectionReason(rawValue: reason)?.message)
        #expect(kit.tenants.row(of: Kit.tenant)?.lastDisconnection?.code == code)
        #expect(kit.audit.rows.map(\.outcome).last == "close:\(reason)")
    }

    @Test func aLogoutAloneMeansLoggedOutFromThePhone() throws {
        let kit = try Self.openKit()

        Self.deliver(kit, [("connection.update", Self.update("open")), ("logout.instance", "{}")])

        #expect(kit.tenants.row(of: Kit.tenant)?.lastDisconnection?.reason == .loggedOut)
        #expect(kit.audit.rows.map(\.outcome) == ["open", "close:logged_out"])
    }

    @Test func aRefusedConnectionIsTheQRCodeExpiring() throws {
        let kit = try Self.openKit()

        Self.deliver(kit, [("connection.update", Self.update("refused", #""statusReason":428"#))])

        let last = try #require(try Self.statusBody(of: kit)["data"]?["lastDisconnection"])
        #expect(last["reason"] == "qr_expired")
        #expect(last["message"] == "O código QR expirou sem leitura.")
    }

    @Test func aRemovalAfterACloseKeepsTheClosesReasonAndShowsItOnNotCreated() throws {
        let kit = try Self.openKit()

        Self.deliver(
            kit,
            [
                ("connection.update", Self.update("open")), ("logout.instance", "{}"),
                ("connection.update", Self.update("close", #""statusReason":403"#)), ("remove.instance", "{}"),
            ])

        let body = try Self.statusBody(of: kit)
        #expect(body["status"] == "not_created")
        #expect(body["data"]?["lastDisconnection"]?["reason"] == "restricted")
    }

    @Test func aRemovalOfAnOpenInstanceIsRecordedAsRemoved() throws {
        let kit = try Self.openKit()

        Self.deliver(kit, [("connection.update", Self.update("open")), ("remove.instance", "{}")])

        #expect(try Self.statusBody(of: kit)["data"]?["lastDisconnection"]?["reason"] == "removed")
    }

    @Test func aNewOpenClearsTheLastDisconnection() throws {
        let kit = try Self.openKit()

        Self.deliver(
            kit,
            [
                ("connection.update", Self.update("close", #""statusReason":408"#)),
                ("connection.update", Self.update("open", #""wuid":"\#(Self.wuid)""#)),
            ])

        let body = try Self.statusBody(of: kit)
        #expect(body["data"]?["lastDisconnection"] == nil)
        #expect(body["data"]?["account"]?["phoneNumber"] == "+5511987654321")
    }

    @Test func ourDisconnectRecordsTheUserAsTheReasonAndANewConnectClearsIt() throws {
        let kit = try FlowTestKit()
        var row = FakeTenantRepository.Row.instance(FlowTestKit.instance, .open)
        row.account = ConnectedAccount(jid: Self.wuid, name: "Loja")
        kit.tenants.seed(FlowTestKit.tenant, row)
        kit.evolution.scriptDelete(.success(()))

        #expect(kit.disconnect().status == 200)
        let status = kit.status()
        #expect(status.body["data"]?["lastDisconnection"]?["reason"] == "user")
        #expect(status.body["data"]?["lastDisconnection"]?["message"] == "Desconectado por você.")
        #expect(kit.tenants.row(of: FlowTestKit.tenant)?.account == nil)

        kit.evolution.scriptCreate(.success(FakeEvolution.created(FlowTestKit.instance)))
        #expect(kit.connect().status == 201)
        #expect(kit.tenants.row(of: FlowTestKit.tenant)?.lastDisconnection == nil)
    }

    @Test func aConnectReusingTheClosedInstanceClearsTheLastDisconnection() throws {
        let kit = try FlowTestKit()
        var row = FakeTenantRepository.Row.instance(FlowTestKit.instance, .close)
        row.lastDisconnection = Disconnection(reason: .qrExpired, code: 428, at: FakeTenantRepository.changedAt)
        kit.tenants.seed(FlowTestKit.tenant, row)
        kit.evolution.scriptConnectionState(.success(.close))
        kit.evolution.scriptConnect(.success(.qrCode(FakeEvolution.qrCode)))

        #expect(kit.connect().status == 200)

        #expect(kit.tenants.row(of: FlowTestKit.tenant)?.lastDisconnection == nil)
        #expect(kit.status().body["data"]?["lastDisconnection"] == nil)
    }

    @Test func aLidIdentityHasNoNumberAndLogsCarryOnlyTheLastFourDigits() {
        let lid = ConnectedAccount(jid: "123456789012345@lid", name: "Loja")
        #expect(lid.phoneNumber == nil)
        #expect(lid.masked == "lid")
        let device = ConnectedAccount(jid: "5511987654321:12@s.whatsapp.net", name: nil)
        #expect(device.phoneNumber == "+5511987654321")
        #expect(device.masked == "…4321")
    }

    @Test func theSeedsFieldsStayAsTheyAreWithoutAnAccountOrADisconnection() {
        let body = WhatsAppResponses.statusBody(.open, instanceName: "tenant_t1", tenant: Kit.tenant, lastCheck: "x")
        #expect(body["data"] == ["tenantId": "t1", "instanceName": "tenant_t1", "lastCheck": "x"])
    }
}
