import Foundation
import Testing

/// Who is connected and why it dropped (issue 24, webhook path), end to end: the simulator delivers what Evolution
/// sends on a scan (`wuid`, `profileName`) and on each final drop (`logout.instance`, then the close with its code) to
/// the stack's nginx, and status shows the account while open and the reason after the drop.
@Suite("Connected account and last disconnection end to end", .serialized)
final class AccountAndDisconnectionTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private static let number = "5511987654321"
    private static let profileName = "Loja Centro Perfil"
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(
            sim: sim, label: "account", webhooks: true, events: true, environment: ["STATUS_MAX_AGE_MS": "60000"])
    }

    deinit {
        stack.stop()
    }

    /// A tenant whose instance a phone scanned, recorded open.
    private func scannedTenant(_ label: String) throws -> (tenant: String, name: String) {
        let tenant = TestWhatsAppStack.newTenantID(label)
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        try sim.scan(instance: name, number: Self.number, profileName: Self.profileName)
        try Wait.until("the open event is recorded") {
            try stack.tenantRow(tenant)?["whatsapp_status"] as? String == "open"
        }
        return (tenant, name)
    }

    private func data(of tenant: String) throws -> [String: Any] {
        try stack.status(tenant: tenant).jsonObject()["data"] as? [String: Any] ?? [:]
    }

    @Test func aScanShowsTheAccountsNumberAndNameAndNoLogCarriesThem() throws {
        let (tenant, _) = try scannedTenant("acct")

        let account = try data(of: tenant)["account"] as? [String: Any]
        #expect(account?["phoneNumber"] as? String == "+" + Self.number)
        #expect(account?["name"] as? String == Self.profileName)
        #expect(account?["connectedAt"] is String)
        #expect(try data(of: tenant)["lastDisconnection"] == nil)
        let logs = stack.allLogText()
        #expect(!logs.contains(Self.number))
        #expect(!logs.contains(Self.profileName))
    }

    @Test(arguments: [(401, "logged_out"), (403, "restricted"), (408, "connection_lost")])
    func eachFinalDropShowsItsReasonAndTheAuditRowKeepsTheCode(code: Int, reason: String) throws {
        let (tenant, name) = try scannedTenant("drop\(code)")

        try sim.control("POST", "/instances/\(name)/drop", json: #"{"statusReason":\#(code)}"#)

        try Wait.until("the close with code \(code) is recorded") {
            try stack.tenantRow(tenant)?["whatsapp_disconnect_code"] as? Int == code
        }
        let shown = try data(of: tenant)
        let last = shown["lastDisconnection"] as? [String: Any]
        #expect(last?["reason"] as? String == reason)
        #expect((last?["message"] as? String)?.isEmpty == false)
        #expect(last?["at"] is String)
        #expect(shown["account"] == nil)
        let audit = try stack.psql(
            """
            SELECT outcome || '/' || coalesce(error_code, '-') FROM whatsapp_audit
            WHERE tenant_id = '\(tenant)' AND action = 'state_change' ORDER BY id DESC LIMIT 1
            """)
        #expect(audit.trimmingCharacters(in: .whitespacesAndNewlines) == "close:\(reason)/\(code)")
        #expect(!stack.allLogText().contains(Self.number))
    }

    @Test func theQRCodeLimitShowsTheQRCodeExpired() throws {
        try sim.updateSettings(#"{"qrLimit":1}"#)
        let tenant = TestWhatsAppStack.newTenantID("qrlimit")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)

        try sim.rotateQRCode(instance: name)

        try Wait.until("the refused state is recorded") {
            try stack.tenantRow(tenant)?["whatsapp_disconnect_reason"] as? String == "qr_expired"
        }
        let last = try data(of: tenant)["lastDisconnection"] as? [String: Any]
        #expect(last?["message"] as? String == "O código QR expirou sem leitura.")
    }

    @Test func theEventStreamCarriesTheAccountAndThenTheReasonAsStatusShowsThem() throws {
        let tenant = TestWhatsAppStack.newTenantID("live")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        let stream = try stack.subscribe(tenant: tenant, ticket: try stack.eventsTicket(tenant: tenant))
        _ = try stream.expectEvent(within: 5, "the current state")
        #expect(try stack.connect(tenant: tenant).status == 201)

        try sim.scan(instance: name, number: Self.number, profileName: Self.profileName)
        let open = try awaitMessage(stream, "the open state") { $0["status"] as? String == "open" }
        #expect(
            ((open["data"] as? [String: Any])?["account"] as? [String: Any])?["name"] as? String == Self.profileName)

        try sim.control("POST", "/instances/\(name)/drop", json: #"{"statusReason":403}"#)
        let closed = try awaitMessage(stream, "the close with its reason") {
            (($0["data"] as? [String: Any])?["lastDisconnection"] as? [String: Any])?["reason"] as? String
                == "restricted"
        }
        var status = try stack.status(tenant: tenant).jsonObject()
        status["qrcode"] = closed["qrcode"]
        status["version"] = closed["version"]
        #expect(try Self.canonical(status) == Self.canonical(closed))
    }

    /// Messages of `stream` until one satisfies `condition` (within 5 s each).
    private func awaitMessage(
        _ stream: TestEventStream, _ what: String, _ condition: ([String: Any]) -> Bool
    ) throws -> [String: Any] {
        while true {
            let body = try stream.expectEvent(within: 5, what).json()
            if condition(body) { return body }
        }
    }

    /// `object` as JSON text with sorted keys.
    private static func canonical(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func aConnectReusingTheLoggedOutInstanceClearsTheReason() throws {
        let (tenant, name) = try scannedTenant("reuse")
        try sim.control("POST", "/instances/\(name)/drop", json: #"{"statusReason":401}"#)
        try Wait.until("the close with its code is recorded") {
            try stack.tenantRow(tenant)?["whatsapp_disconnect_code"] as? Int == 401
        }

        #expect(try stack.connect(tenant: tenant).status == 200)

        #expect(try data(of: tenant)["lastDisconnection"] == nil)
        #expect(try stack.tenantRow(tenant)?["whatsapp_account_jid"] is NSNull)
    }

    /// Evolution logs a live instance out before deleting it (docs/webhooks.md): `logout.instance` and the close come
    /// first, so the drop reads `logged_out`, and the `remove.instance` that follows forgets the instance without
    /// replacing it. `removed` is what a closed instance without a recorded reason gets.
    @Test func aLiveInstanceDeletedOutsideThisServiceIsForgottenWithTheLogoutEvolutionReportsFirst() throws {
        let tenant = TestWhatsAppStack.newTenantID("removed")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)

        // Someone deletes it with Evolution's own API.
        #expect(try sim.sendWithKey("DELETE", "/instance/delete/\(name)").status == 200)

        try Wait.until("the removal is recorded") { try stack.storedInstanceName(of: tenant) == nil }
        let status = try stack.status(tenant: tenant).jsonObject()
        #expect(status["status"] as? String == "not_created")
        let last = (status["data"] as? [String: Any])?["lastDisconnection"] as? [String: Any]
        #expect(last?["reason"] as? String == "logged_out")
    }

    @Test func anOpenInstanceDisconnectedByUsIsTheUserNotALogoutFromThePhone() throws {
        let (tenant, name) = try scannedTenant("ours")

        #expect(try stack.disconnect(tenant: tenant).status == 200)

        // Evolution pushes the logout our delete caused; it must not turn our disconnect into the phone's.
        try Wait.until("Evolution's logout and removal of the deleted instance were delivered to us") {
            let ended = try self.sim.deliveries().filter { delivery in
                delivery["instance"] as? String == name && delivery["outcome"] as? String == "delivered"
            }
            let events = Set(ended.compactMap { $0["event"] as? String })
            return events.isSuperset(of: ["logout.instance", "remove.instance"])
        }
        let audit = try stack.psql(
            """
            SELECT string_agg(outcome, ',' ORDER BY id) FROM whatsapp_audit
            WHERE tenant_id = '\(tenant)' AND outcome LIKE 'close:%'
            """)
        #expect(!audit.contains("logged_out"), "\(audit)")
        let last = try data(of: tenant)["lastDisconnection"] as? [String: Any]
        #expect(last?["reason"] as? String == "user")
    }

    @Test func ourDisconnectIsTheUserAndANewConnectClearsAccountAndReason() throws {
        let (tenant, name) = try scannedTenant("again")
        try sim.control("POST", "/instances/\(name)/drop", json: #"{"statusReason":401}"#)
        try Wait.until("the logout is recorded") {
            try stack.tenantRow(tenant)?["whatsapp_disconnect_reason"] as? String == "logged_out"
        }

        #expect(try stack.disconnect(tenant: tenant).status == 200)
        let afterDisconnect = try data(of: tenant)
        #expect((afterDisconnect["lastDisconnection"] as? [String: Any])?["reason"] as? String == "user")

        #expect(try stack.connect(tenant: tenant).status == 201)
        let afterConnect = try data(of: tenant)
        #expect(afterConnect["lastDisconnection"] == nil)
        #expect(afterConnect["account"] == nil)
        // Without EVENTS_WEBHOOK_URL, none of these changes wrote an event for the SaaS backend.
        #expect(try stack.psql("SELECT count(*) FROM whatsapp_event_outbox") == "0")
    }
}
