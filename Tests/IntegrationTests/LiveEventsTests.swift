import Foundation
import Testing

/// The live event stream through the real stack (issue 20, docs/events.md): nginx with nchan holds the subscription,
/// the responder authorizes it with a ticket and publishes every committed change over nchan's unix socket.
@Suite("Live events through nginx and nchan", .serialized)
final class LiveEventsTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(
            sim: sim, label: "events", webhooks: true, events: true, environment: ["STATUS_MAX_AGE_MS": "60000"])
    }

    deinit {
        stack.stop()
    }

    /// Events of `stream` until one satisfies `condition` (within 5 s each), checking that versions never go down.
    private func awaitState(
        _ stream: TestEventStream, after version: inout Int, _ what: String,
        _ condition: ([String: Any]) -> Bool
    ) throws -> [String: Any] {
        while true {
            let event = try stream.expectEvent(within: 5, what)
            #expect(event.name == "state")
            let body = try event.json()
            let current = try #require(body["version"] as? Int, "no version in \(event.data)")
            #expect(current >= version, "version went down: \(version) then \(current)")
            version = current
            if condition(body) { return body }
        }
    }

    /// `object` as JSON text with sorted keys: two bodies compare equal when their JSON is the same.
    private static func canonical(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func aSubscriberGetsTheCurrentStateFirstThenEveryChangeInOrder() throws {
        let tenant = TestWhatsAppStack.newTenantID("live")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)

        let stream = try stack.subscribe(tenant: tenant, ticket: try stack.eventsTicket(tenant: tenant))
        #expect(stream.status == 200)
        #expect(stream.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        let first = try stream.expectEvent(within: 5, "the current state")
        #expect(first.name == "state")
        let initial = try first.json()
        #expect(initial["status"] as? String == "not_created")
        #expect(initial["qrcode"] is NSNull)
        var version = try #require(initial["version"] as? Int)

        let connect = try stack.connect(tenant: tenant)
        #expect(connect.status == 201)
        let qrCode = try #require(try connect.jsonObject()["qrcode"] as? String)
        let connecting = try awaitState(stream, after: &version, "the QR code of connect") {
            $0["qrcode"] as? String == qrCode
        }
        #expect(connecting["status"] as? String == "connecting")
        #expect((connecting["data"] as? [String: Any])?["instanceName"] as? String == name)

        try sim.scan(instance: name)
        let open = try awaitState(stream, after: &version, "the open state") { $0["status"] as? String == "open" }
        #expect(open["connected"] as? Bool == true)
        #expect(open["qrcode"] is NSNull)
        // The message is exactly the body of GET status, plus qrcode and version.
        var status = try stack.status(tenant: tenant).jsonObject()
        status["qrcode"] = NSNull()
        status["version"] = open["version"]
        #expect(try Self.canonical(status) == Self.canonical(open))

        #expect(try stack.disconnect(tenant: tenant).status == 200)
        _ = try awaitState(stream, after: &version, "not_created after disconnect") {
            $0["status"] as? String == "not_created"
        }
    }

    @Test func anIdleStreamGetsAKeepaliveCommentEvery15Seconds() throws {
        let tenant = TestWhatsAppStack.newTenantID("idle")
        try stack.insertTenant(tenant)
        let stream = try stack.subscribe(tenant: tenant, ticket: try stack.eventsTicket(tenant: tenant))
        _ = try stream.expectEvent(within: 5, "the current state")
        let before = stream.comments.filter { $0.contains("keepalive") }.count

        // Nothing changes: within 15 s (plus slack for a busy machine) the only thing sent is the comment line.
        #expect(try stream.next(within: 17) == nil)
        #expect(stream.comments.filter { $0.contains("keepalive") }.count > before, "\(stream.comments)")
    }

    @Test func refusalsAreEnvelopesInTheirOrder() throws {
        let tenant = TestWhatsAppStack.newTenantID("refused")
        let other = TestWhatsAppStack.newTenantID("other")
        try stack.insertTenant(tenant)
        try stack.insertTenant(other)
        let ticket = try stack.eventsTicket(tenant: tenant)
        let unknown = String(repeating: "ab", count: 32)

        let cases: [(ticket: String?, tenant: String, accept: String?, status: Int, code: String)] = [
            (nil, tenant, "text/event-stream", 401, "missing_ticket"),
            (unknown, tenant, "text/event-stream", 401, "invalid_ticket"),
            ("not-a-ticket", tenant, "text/event-stream", 401, "invalid_ticket"),
            (ticket, other, "text/event-stream", 403, "tenant_forbidden"),
            (ticket, tenant, "application/json", 406, "not_acceptable"),
            (ticket, tenant, "*/*", 406, "not_acceptable"),
            (nil, tenant, "application/json", 401, "missing_ticket"),
        ]
        for refusal in cases {
            let stream = try stack.subscribe(tenant: refusal.tenant, ticket: refusal.ticket, accept: refusal.accept)
            let body = try stream.body()
            #expect(stream.status == refusal.status, "\(refusal): \(String(decoding: body, as: UTF8.self))")
            #expect(stream.headers["content-type"] == "application/json; charset=utf-8", "\(refusal)")
            let envelope = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            #expect(envelope?["error"] as? String == refusal.code, "\(refusal)")
            #expect(envelope?["success"] as? Bool == false)
        }
    }

    @Test func anExpiredTicketIsRefusedAndATicketNeedsTheTenantsToken() throws {
        let tenant = TestWhatsAppStack.newTenantID("expired")
        try stack.insertTenant(tenant)
        let ticket = try stack.eventsTicket(tenant: tenant)
        try stack.psql("UPDATE whatsapp_event_tickets SET expires_at = now() - interval '1 second'")

        let stream = try stack.subscribe(tenant: tenant, ticket: ticket)
        #expect(stream.status == 401)

        let other = TestWhatsAppStack.newTenantID("other")
        let forbidden = try stack.eventsTicketResponse(tenant: tenant, token: TestWhatsAppStack.token(for: other))
        #expect(forbidden.status == 403)
        #expect(try stack.eventsTicketResponse(tenant: tenant, token: "x.y.z").status == 401)
        // Stored as digests only: the table never holds a usable ticket.
        #expect(try !stack.psql("SELECT encode(ticket_sha256, 'hex') FROM whatsapp_event_tickets").contains(ticket))
    }

    @Test func lastEventIDResumesWithTheChangeMissedMeanwhile() throws {
        let tenant = TestWhatsAppStack.newTenantID("resume")
        try stack.insertTenant(tenant)
        let ticket = try stack.eventsTicket(tenant: tenant)
        let watcher = try stack.subscribe(tenant: tenant, ticket: ticket)
        _ = try watcher.expectEvent(within: 5, "the watcher's current state")
        let leaving = try stack.subscribe(tenant: tenant, ticket: ticket)
        let seen = try leaving.expectEvent(within: 5, "the current state")
        leaving.close()
        // The watcher's own first message may be the second subscriber's current state again.
        var version = 0
        _ = try awaitState(watcher, after: &version, "the current state again") { _ in true }

        #expect(try stack.connect(tenant: tenant).status == 201)
        let missed = try awaitState(watcher, after: &version, "the change while the other was away") {
            $0["status"] as? String == "connecting"
        }

        let back = try stack.subscribe(tenant: tenant, ticket: ticket, lastEventID: seen.id)
        var resumed = 0
        let replayed = try awaitState(back, after: &resumed, "the missed change") {
            $0["version"] as? Int == missed["version"] as? Int
        }
        #expect(replayed["status"] as? String == "connecting")
    }

    @Test func aPublishThatCannotReachNchanNeitherFailsNorSlowsARequest() throws {
        let broken = try TestWhatsAppStack.start(
            sim: sim, label: "events_broken", webhooks: true, events: true,
            environment: ["NCHAN_PUBLISH_SOCKET": "/nonexistent/nchan.sock"])
        defer { broken.stop() }
        let tenant = TestWhatsAppStack.newTenantID("broken")
        try broken.insertTenant(tenant)

        #expect(try broken.connect(tenant: tenant).status == 201)
        #expect(try broken.disconnect(tenant: tenant).status == 200)

        try Wait.until("the failed publishes are counted") {
            let metrics = try broken.nginx.send("GET", "/api/metrics").text
            return metrics.contains(#"tenant_whatsapp_events_published_total{outcome="failed"}"#)
        }
        let warnings = try broken.responders.flatMap { try $0.logLines() }.filter {
            ($0["message"] as? String)?.hasPrefix("event publishing failed") == true
        }
        #expect(warnings.count == 1, "one warning for the burst, not one per message")
    }

    @Test func withoutWebhooksNoTicketIsIssued() throws {
        let polling = try TestWhatsAppStack.start(sim: sim, label: "events_polling", events: true)
        defer { polling.stop() }
        let tenant = TestWhatsAppStack.newTenantID("polling")
        try polling.insertTenant(tenant)

        let answer = try polling.eventsTicketResponse(tenant: tenant)
        #expect(answer.status == 503)
        #expect(try answer.jsonObject()["error"] as? String == "events_unavailable")
        #expect(try polling.psql("SELECT count(*) FROM whatsapp_event_tickets") == "0")
    }

    @Test func withoutNchanTheRouteAnswersEventsUnavailable() throws {
        // A responder that publishes, behind an nginx without the events includes.
        let plain = try TestWhatsAppStack.start(
            sim: sim, label: "events_off", webhooks: true, events: true, nginxEnvironment: ["TW_NGINX_EVENTS": "off"])
        defer { plain.stop() }
        let tenant = TestWhatsAppStack.newTenantID("plain")
        try plain.insertTenant(tenant)

        let stream = try plain.subscribe(tenant: tenant, ticket: try plain.eventsTicket(tenant: tenant))
        let body = try JSONSerialization.jsonObject(with: try stream.body()) as? [String: Any]
        #expect(stream.status == 503)
        #expect(body?["error"] as? String == "events_unavailable")
    }

    @Test func noNginxFileEverHoldsATicket() throws {
        // A stack whose per-address stream limit is 2, so that a third stream is refused (and would be logged).
        let limited = try TestWhatsAppStack.start(
            sim: sim, label: "events_logs", webhooks: true, events: true,
            nginxEnvironment: ["TW_NGINX_EVENTS_CONN": "2"])
        defer { limited.stop() }
        let tenant = TestWhatsAppStack.newTenantID("logs")
        try limited.insertTenant(tenant)
        let ticket = try limited.eventsTicket(tenant: tenant)
        let stale = try limited.eventsTicket(tenant: tenant)
        try limited.psql("UPDATE whatsapp_event_tickets SET expires_at = now() - interval '1 second'")
        let fresh = try limited.eventsTicket(tenant: tenant)

        // Two streams held, a third refused by limit_conn, an expired ticket refused, a stream that leaves abruptly.
        let first = try limited.subscribe(tenant: tenant, ticket: fresh)
        let second = try limited.subscribe(tenant: tenant, ticket: fresh)
        _ = try first.expectEvent(within: 5, "the first stream's state")
        _ = try second.expectEvent(within: 5, "the second stream's state")
        let third = try limited.subscribe(tenant: tenant, ticket: fresh)
        #expect(third.status == 429)
        first.close()
        second.close()
        let expired = try limited.subscribe(tenant: tenant, ticket: stale, from: "127.0.0.2")
        #expect(expired.status == 401)
        // The responder down: the authorization fails (and nginx would log the request line, ticket included).
        limited.responders.forEach { $0.terminate() }
        let down = try limited.subscribe(tenant: tenant, ticket: fresh, from: "127.0.0.3")
        #expect(down.status >= 500)
        _ = try down.body()

        let files = FileManager.default.enumerator(at: limited.directory, includingPropertiesForKeys: nil)
        var read = 0
        while let file = files?.nextObject() as? URL {
            guard let data = try? Data(contentsOf: file) else { continue }
            read += 1
            let text = String(decoding: data, as: UTF8.self)
            for secret in [ticket, stale, fresh] {
                #expect(!text.contains(secret), "\(file.lastPathComponent) holds a ticket")
            }
        }
        #expect(read >= 3, "the access log, the error log and the responder's log were read")
        let accessLog = try String(
            contentsOf: limited.directory.appendingPathComponent("access.log"), encoding: .utf8)
        #expect(accessLog.contains("/whatsapp/events"), "the streams are in the access log, without their query")
    }
}
