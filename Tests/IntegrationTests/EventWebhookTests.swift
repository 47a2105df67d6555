import Foundation
import Testing

/// Events to the SaaS backend (issue 23) through the real stack: nginx, spawn-fcgi responders, PostgreSQL (the
/// outbox, its trigger, LISTEN/NOTIFY) and evolution-sim delivering Evolution's webhooks; the receiver is
/// `scripts/event-receiver`, which verifies every delivery with the `standardwebhooks` Python package, unchanged.
@Suite("Event webhooks to the SaaS backend", .serialized)
final class EventWebhookTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    /// Retries one second apart, so that an outage of a few seconds is survived quickly.
    private static let fastRetries = "0s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"
    private let sim: TestEvolutionSim
    private let receiver: TestEventReceiver

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        receiver = try TestEventReceiver.start()
    }

    deinit {
        receiver.stop()
    }

    private func startStack(
        _ label: String, responders: Int = 1, schedule: String = fastRetries, extra: [String: String] = [:]
    ) throws -> TestWhatsAppStack {
        try TestWhatsAppStack.start(
            sim: sim, label: label, responderCount: responders, webhooks: true,
            environment: [
                "EVENTS_WEBHOOK_URL": receiver.url, "EVENTS_WEBHOOK_SECRET": receiver.secret,
                "EVENTS_RETRY_SCHEDULE": schedule, "STATUS_MAX_AGE_MS": "60000",
            ].merging(extra) { $1 })
    }

    /// The deliveries the receiver accepted (2xx) for `tenant`, in order of arrival.
    private func accepted(for tenant: String) throws -> [TestEventReceiver.Delivery] {
        try receiver.deliveries().filter { delivery in
            (200...299).contains(delivery.status)
                && ((try? delivery.json())?["data"] as? [String: Any])?["tenantId"] as? String == tenant
        }
    }

    private func types(_ deliveries: [TestEventReceiver.Delivery]) throws -> [String] {
        try deliveries.map { try $0.json()["type"] as? String ?? "?" }
    }

    private func data(_ delivery: TestEventReceiver.Delivery) throws -> [String: Any] {
        try delivery.json()["data"] as? [String: Any] ?? [:]
    }

    /// The outbox rows of `tenant`: `event_id|type|state`, in order.
    private func outbox(_ stack: TestWhatsAppStack, tenant: String) throws -> [String] {
        try stack.psql(
            "SELECT event_id || '|' || type || '|' || state FROM whatsapp_event_outbox WHERE tenant_id = '\(tenant)' ORDER BY id"
        ).split(separator: "\n").map(String.init)
    }

    private func events(_ stack: TestWhatsAppStack, _ arguments: [String]) throws -> CommandResult {
        try Subprocess.run(
            [TestEnvironment.responderBinary, "events"] + arguments,
            environment: ["DATABASE_URL": stack.databaseURL, "PATH": "/usr/bin:/bin"])
    }

    private func scan(_ name: String) throws {
        try sim.scan(instance: name, number: "5511987654321", profileName: "Loja Centro")
    }

    @Test func aTenantsWholeLifeArrivesSignedAndInOrder() throws {
        let stack = try startStack("evlife")
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("life")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)

        #expect(try stack.connect(tenant: tenant).status == 201)
        try scan(name)
        try Wait.until("the scan is recorded") { try stack.tenantRow(tenant)?["whatsapp_status"] as? String == "open" }
        try sim.control("POST", "/instances/\(name)/drop", json: #"{"statusReason":401}"#)
        try Wait.until("the logout is recorded") {
            try stack.tenantRow(tenant)?["whatsapp_disconnect_reason"] as? String == "logged_out"
        }
        #expect([200, 201].contains(try stack.connect(tenant: tenant).status))
        #expect(try stack.disconnect(tenant: tenant).status == 200)

        let expected = [
            "whatsapp.connecting", "whatsapp.qrcode", "whatsapp.connected", "whatsapp.disconnected",
            "whatsapp.connecting", "whatsapp.qrcode", "whatsapp.disconnected",
        ]
        try Wait.until("every event is delivered") { try self.accepted(for: tenant).count >= expected.count }
        let delivered = try accepted(for: tenant)
        let arrived = try types(delivered)
        #expect(arrived == expected, "\(arrived)")
        #expect(delivered.allSatisfy { $0.verified })
        #expect(Set(delivered.compactMap(\.webhookId)).count == delivered.count)
        // The ids are the outbox's, in the outbox's order.
        #expect(
            try outbox(stack, tenant: tenant).map { $0.split(separator: "|")[0] }
                == delivered.map { Substring($0.webhookId ?? "") })

        let connected = try data(delivered[2])
        #expect(connected["status"] as? String == "open")
        #expect(connected["instanceName"] as? String == name)
        #expect(connected["server"] as? String == "default")
        let account = connected["account"] as? [String: Any]
        #expect(account?["phoneNumber"] as? String == "+5511987654321")
        #expect(account?["name"] as? String == "Loja Centro")
        let loggedOut = try data(delivered[3])
        #expect(loggedOut["reason"] as? String == "logged_out")
        #expect(loggedOut["account"] == nil)
        let userDisconnect = try data(delivered[6])
        // Closed by the logout Evolution pushes, or already forgotten: whichever our disconnect recorded first.
        #expect(["close", "not_created"].contains(userDisconnect["status"] as? String))
        #expect(userDisconnect["reason"] as? String == "user")
        #expect(try data(delivered[1])["status"] as? String == "connecting")
        // No image, no code: the QR code event only says one was handed out.
        #expect(!delivered[1].body.contains("data:image"))
        // The body's timestamp is the change's, not the attempt's.
        #expect(try delivered[0].json()["timestamp"] is String)
        #expect(!stack.allLogText().contains(receiver.secret))
    }

    @Test func withTheImageOptionTheQRCodeEventCarriesTheImageHandedOut() throws {
        let stack = try startStack("evimage", extra: ["EVENTS_WEBHOOK_QRCODE": "image"])
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("image")
        try stack.insertTenant(tenant)
        let connect = try stack.connect(tenant: tenant)
        #expect(connect.status == 201)
        let handedOut = try connect.jsonObject()["qrcode"] as? String

        try Wait.until("the code event arrives") { try self.accepted(for: tenant).count == 2 }
        let event = try #require(try accepted(for: tenant).last)
        #expect(try event.json()["type"] as? String == "whatsapp.qrcode")
        #expect(try data(event)["qrcode"] as? String == handedOut)
        #expect(handedOut?.hasPrefix("data:image/png;base64,") == true)
        #expect(try data(accepted(for: tenant)[0])["qrcode"] == nil)
    }

    @Test func aRedirectIsNeverFollowedAndARetryAfterIsHonoured() throws {
        let stack = try startStack("evredirect")
        defer { stack.stop() }
        let target = try RedirectTargetListener()
        try receiver.setAnswer(status: 307, retryAfter: "3", location: "http://127.0.0.1:\(target.port)/stolen")
        let tenant = TestWhatsAppStack.newTenantID("redirect")
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)

        try Wait.until("the redirect is recorded as a failed attempt") {
            try stack.psql(
                "SELECT last_status FROM whatsapp_event_outbox WHERE tenant_id = '\(tenant)' ORDER BY id LIMIT 1")
                == "307"
        }
        #expect(target.pendingConnections() == 0)
        // The schedule says 1 s; the endpoint's Retry-After lengthens it to 3 s.
        let wait = try stack.psql(
            """
            SELECT round(extract(epoch FROM next_attempt_at - last_attempt_at)) FROM whatsapp_event_outbox
            WHERE tenant_id = '\(tenant)' ORDER BY id LIMIT 1
            """)
        #expect(wait == "3")
        #expect(try receiver.deliveries().count == 1)
    }

    @Test func anEndpointDownForAWhileGetsEveryEventInOrderOnceItIsBack() throws {
        let stack = try startStack("evdown")
        defer { stack.stop() }
        receiver.stop()
        let tenants = (0..<3).map { TestWhatsAppStack.newTenantID("down\($0)") }
        for tenant in tenants {
            try stack.insertTenant(tenant)
            #expect(try stack.connect(tenant: tenant).status == 201)
            try scan(TestWhatsAppStack.instanceName(of: tenant))
        }
        try Wait.until("every tenant's open is recorded") {
            try tenants.allSatisfy { try stack.tenantRow($0)?["whatsapp_status"] as? String == "open" }
        }
        try Wait.until("attempts failed against the closed port") {
            try stack.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE last_error = 'unreachable'") != "0"
        }

        // Only each tenant's oldest event is ever due; the two behind it wait their turn, never walked by a claim.
        #expect(
            try stack.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE next_attempt_at = 'infinity'") == "6")

        try receiver.restart()

        try Wait.until("every event is delivered", timeoutSeconds: 30) {
            try stack.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE state <> 'delivered'") == "0"
        }
        for tenant in tenants {
            let delivered = try accepted(for: tenant)
            #expect(try types(delivered) == ["whatsapp.connecting", "whatsapp.qrcode", "whatsapp.connected"])
            #expect(delivered.allSatisfy { $0.verified })
            #expect(try outbox(stack, tenant: tenant).count == 3)
        }
    }

    @Test func anEventCommittedBeforeAKillNineIsDeliveredByTheNextProcess() throws {
        // The retry comes 3 s after the refusal: the process is killed before it could claim it again.
        let stack = try startStack("evkill", schedule: "0s,3s,1s,1s,1s,1s")
        defer { stack.stop() }
        try receiver.setAnswer(status: 500)
        let tenant = TestWhatsAppStack.newTenantID("kill")
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        // Refused, and that refusal recorded: an attempt cut short by the kill would be held by its 30 s lease.
        try Wait.until("the first attempt is refused and recorded") {
            try stack.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE last_status = 500") == "1"
        }

        stack.responders[0].killHard()
        try receiver.setAnswer(status: 204)
        try FileManager.default.removeItem(atPath: stack.responders[0].socketPath)
        let replacement = try TestResponder.start(
            in: stack.directory, environment: stack.responderEnvironment, name: "fcgi1")
        defer { replacement.terminate() }

        try Wait.until("the new process delivers both events", timeoutSeconds: 20) {
            try self.accepted(for: tenant).count >= 2
        }
        let delivered = try accepted(for: tenant)
        #expect(try types(delivered) == ["whatsapp.connecting", "whatsapp.qrcode"])
        let refusedID = try receiver.deliveries().first { $0.status == 500 }?.webhookId
        #expect(delivered.first?.webhookId == refusedID)
        #expect(try outbox(stack, tenant: tenant).allSatisfy { $0.hasSuffix("|delivered") })
    }

    @Test func deliveryGoesOnAfterPostgreSQLRestarts() throws {
        let postgres = try TestPostgres.start(label: "evpg")
        defer { postgres.shutdown() }
        let stack = try TestWhatsAppStack.start(
            sim: sim, label: "evpg", webhooks: true,
            environment: [
                "EVENTS_WEBHOOK_URL": receiver.url, "EVENTS_WEBHOOK_SECRET": receiver.secret,
                "EVENTS_RETRY_SCHEDULE": Self.fastRetries, "STATUS_MAX_AGE_MS": "60000",
            ], database: postgres.databaseURL)
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("pg")
        try postgres.psql("INSERT INTO tenants (id) VALUES ('\(tenant)')")
        #expect(try stack.connect(tenant: tenant).status == 201)
        try Wait.until("the connect's events are delivered") { try self.accepted(for: tenant).count == 2 }

        try postgres.stop()
        try postgres.restart()
        // The first request after the restart may meet a pooled connection that died with the server.
        try Wait.until("a status answers again") { try stack.status(tenant: tenant).status == 200 }
        try scan(TestWhatsAppStack.instanceName(of: tenant))

        // Well before the 30 s safety poll: the listening connection came back and was woken by the new event.
        try Wait.until("the open is delivered", timeoutSeconds: 15) { try self.accepted(for: tenant).count == 3 }
        #expect(try types(accepted(for: tenant)) == ["whatsapp.connecting", "whatsapp.qrcode", "whatsapp.connected"])
        #expect(try postgres.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE state <> 'delivered'") == "0")
    }

    @Test func twoRespondersShareTheWorkWithoutDeliveringAnEventTwice() throws {
        let stack = try startStack("evtwo", responders: 2)
        defer { stack.stop() }
        let tenants = (0..<12).map { TestWhatsAppStack.newTenantID("two\($0)") }
        for tenant in tenants {
            try stack.insertTenant(tenant)
            #expect(try stack.connect(tenant: tenant).status == 201)
        }
        try Wait.until("every event is delivered", timeoutSeconds: 30) {
            try stack.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE state = 'delivered'") == "24"
        }
        let ids = try receiver.deliveries().compactMap(\.webhookId)
        #expect(ids.count == 24)
        #expect(Set(ids).count == ids.count)
    }

    @Test func theSignatureCoversTheBodyAndTheTimestamp() throws {
        let stack = try startStack("evsign")
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("sign")
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        try Wait.until("an event arrives") { try !self.accepted(for: tenant).isEmpty }
        let delivery = try #require(try accepted(for: tenant).first)
        #expect(delivery.verified)

        #expect(try receiver.verify(body: delivery.body, headers: delivery.headers).verified)
        let tampered = delivery.body.replacingOccurrences(of: tenant, with: tenant + "x")
        #expect(try !receiver.verify(body: tampered, headers: delivery.headers).verified)
        // One second later, well within the libraries' 5-minute tolerance: refused only because it is signed.
        var shifted = delivery.headers
        let timestamp = try #require(delivery.webhookTimestamp.flatMap { Int($0) })
        shifted["webhook-timestamp"] = String(timestamp + 1)
        #expect(try !receiver.verify(body: delivery.body, headers: shifted).verified)
        // A replay of the signed delivery ten minutes later is refused as stale.
        var stale = delivery.headers
        stale["webhook-timestamp"] = String(timestamp - 600)
        #expect(try !receiver.verify(body: delivery.body, headers: stale).verified)
    }

    @Test func a410StopsDeliveryUntilEventsResume() throws {
        let stack = try startStack("evgone")
        defer { stack.stop() }
        try receiver.setAnswer(status: 410)
        let tenant = TestWhatsAppStack.newTenantID("gone")
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        try Wait.until("delivery is paused") {
            try stack.psql("SELECT paused_at IS NOT NULL FROM whatsapp_event_delivery") == "t"
        }
        let other = TestWhatsAppStack.newTenantID("gone2")
        try stack.insertTenant(other)
        #expect(try stack.connect(tenant: other).status == 201)
        let metrics = try stack.nginx.send("GET", "/api/metrics")
        #expect(metrics.text.contains("tenant_whatsapp_event_webhook_paused 1"))
        let listed = try events(stack, ["list"])
        #expect(listed.succeeded)
        #expect(listed.output.contains("DELIVERY PAUSED"))
        #expect(try receiver.deliveries().count == 1)
        #expect(try stack.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE state = 'pending'") == "4")

        try receiver.setAnswer(status: 204)
        let resumed = try events(stack, ["resume"])
        #expect(resumed.succeeded)
        #expect(resumed.output.contains("delivery resumed"))

        try Wait.until("every event is delivered after the resume") {
            try stack.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE state = 'delivered'") == "4"
        }
        #expect(try types(accepted(for: tenant)) == ["whatsapp.connecting", "whatsapp.qrcode"])
        #expect(try types(accepted(for: other)) == ["whatsapp.connecting", "whatsapp.qrcode"])
        // The attempt that met the 410 did not use up the schedule.
        #expect(try stack.psql("SELECT max(attempts) FROM whatsapp_event_outbox") == "1")
    }

    @Test func eventsRetryDeliversADeadEventAgain() throws {
        let stack = try startStack("evdead", schedule: "0s")
        defer { stack.stop() }
        try receiver.setAnswer(status: 500)
        let tenant = TestWhatsAppStack.newTenantID("dead")
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        try Wait.until("both events are dead") {
            try stack.psql("SELECT count(*) FROM whatsapp_event_outbox WHERE state = 'dead'") == "2"
        }
        let listed = try events(stack, ["list", "--dead", "--json"])
        #expect(listed.succeeded)
        let document = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any]
        let dead = document?["events"] as? [[String: Any]] ?? []
        #expect(dead.map { $0["state"] as? String } == ["dead", "dead"])
        #expect(dead.map { $0["lastStatus"] as? Int } == [500, 500])
        let firstID = try #require(dead.first?["id"] as? String)

        try receiver.setAnswer(status: 204)
        let retried = try events(stack, ["retry", firstID])
        #expect(retried.succeeded)
        try Wait.until("the dead event is delivered") { try !self.accepted(for: tenant).isEmpty }
        #expect(try accepted(for: tenant).map(\.webhookId) == [firstID])
        #expect(try events(stack, ["retry", "evt_unknown"]).status == 1)
        #expect(try events(stack, ["retry", "--dead"]).output.contains("queued 1 dead event"))
        try Wait.until("the other one too") { try self.accepted(for: tenant).count == 2 }
        #expect(try events(stack, ["purge", "--older-than", "0s"]).output.contains("purged 2 events"))
    }

    @Test func aRolledBackChangeWritesNoEventAndASessionWithoutTheSettingNone() throws {
        let stack = try startStack("evtx")
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("tx")
        try stack.insertTenant(tenant)

        _ = try stack.psql(
            """
            BEGIN; SET LOCAL tenant_whatsapp.events = 'on';
            UPDATE tenants SET whatsapp_instance_name = 'tenant_\(tenant)', whatsapp_status = 'connecting' WHERE id = '\(tenant)';
            ROLLBACK;
            UPDATE tenants SET whatsapp_instance_name = 'tenant_\(tenant)', whatsapp_status = 'open' WHERE id = '\(tenant)';
            """)
        #expect(try outbox(stack, tenant: tenant).isEmpty)
        _ = try stack.psql(
            """
            SET tenant_whatsapp.events = 'on';
            UPDATE tenants SET whatsapp_status = 'close' WHERE id = '\(tenant)';
            """)
        #expect(try outbox(stack, tenant: tenant).count == 1)
    }
}
