import Foundation
import Testing

/// The webhook location under a flood of slow bodies from one address (issue 21, item 4): nginx holds at most the
/// location's limit of deliveries in progress per address (64), so its memory stays bounded, health keeps
/// answering, and the signed deliveries of that address get through: refused 429 (and retried, as Evolution retries)
/// only while the flood's bodies fill the limit, accepted once they stall and client_body_timeout cuts them.
@Suite("Webhook floods", .serialized)
struct WebhookFloodTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    /// The address of the flood and of the real deliveries: one Evolution node, as nginx sees it.
    private static let nodeAddress = "127.0.0.61"
    /// `limit_conn tenant_whatsapp_webhook_conn` in nginx/tenant-whatsapp.locations.conf.
    private static let deliveriesInProgress = 64
    private static let floodCount = 1500
    private static let bodyBytes = 64 * 1024
    private static let deliveryCount = 20
    private static let memoryLimitKilobytes = 50 * 1024

    @Test func fifteenHundredSlowBodiesFromOneAddressLeaveNginxSmallAndHealthyWhileThatAddressStillDelivers() throws {
        // 1,500 flood connections here and as many in nginx's worker, besides everything else the tests hold.
        try DescriptorLimit.raise(atLeast: 6000)
        let sim = try Self.launched.get()
        try sim.reset()
        let stack = try TestWhatsAppStack.start(sim: sim, label: "flood", webhooks: true)
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("flood")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.psql(
            """
            INSERT INTO tenants (id, whatsapp_instance_name, whatsapp_status, whatsapp_instance_created_at)
            VALUES ('\(tenant)', '\(name)', 'close', now())
            """)
        let worker = try stack.nginx.workerPID()
        let before = try ProcessMemory.of(worker)

        // Evolution's deliveries from the flooding address, one after the other, while the flood comes in.
        let port = stack.nginx.port
        let deliveries = Background { try Self.deliverInTurn(name, to: port) }
        let flood = SlowBodyFlood()
        defer { flood.end() }
        try flood.open(
            Self.floodCount, to: port, from: Self.nodeAddress, path: "/api/evolution/webhook",
            bodyBytes: Self.bodyBytes, sentBytes: Self.bodyBytes - 4096)

        // Every request beyond the limit is answered at once (429), before nginx reads its body.
        var admitted = Self.floodCount
        _ = try? Wait.until("the requests beyond the limit are answered", timeoutSeconds: 10, pollMilliseconds: 100) {
            admitted = flood.all.filter { !$0.hasSomethingToRead }.count
            return admitted <= Self.deliveriesInProgress
        }
        let held = try ProcessMemory.of(worker)
        #expect(admitted <= Self.deliveriesInProgress, "\(admitted) bodies held at once")
        #expect(held.residentKilobytes < Self.memoryLimitKilobytes, "\(held)")
        #expect(held.peakResidentKilobytes < Self.memoryLimitKilobytes, "\(held)")
        #expect(try stack.nginx.send("GET", "/api/health", from: Self.nodeAddress).status == 200)
        if let refused = flood.all.last(where: \.hasSomethingToRead) {
            let answer = try refused.readResponse(timeoutSeconds: 5)
            #expect(answer.status == 429, "\(answer.text)")
            #expect(answer.headers["retry-after"] == "1")
            #expect(try answer.jsonObject()["error"] as? String == "rate_limited")
        }
        #expect(stack.nginx.errorLog().contains(#"limiting connections by zone "tenant_whatsapp_webhook_conn""#))

        // The attacker stops sending: its bodies stall, client_body_timeout cuts them, the deliveries get through.
        flood.stopDripping()
        let outcomes = try deliveries.value(timeoutSeconds: 90)
        #expect(outcomes.map(\.status) == Array(repeating: 200, count: Self.deliveryCount), "\(outcomes)")
        #expect(try stack.tenantRow(tenant)?["whatsapp_status"] as? String == Self.state(of: Self.deliveryCount - 1))
        let after = try ProcessMemory.of(worker)
        #expect(after.peakResidentKilobytes < Self.memoryLimitKilobytes, "\(after)")
        print(
            "webhook flood: \(Self.floodCount) slow 64 KiB bodies from one address, \(admitted) held at once; "
                + "nginx worker before \(before), during \(held), after \(after); \(Self.deliveryCount) deliveries "
                + "from that address accepted, after these attempts each: \(outcomes.map(\.attempts))")
    }

    @Test func theLimitPerAddressIsTheOneTheConfigurationWasRenderedWith() throws {
        let database = try TestPostgres.shared.createDatabase("floodlimit_\(UInt32.random(in: 0...UInt32.max))")
        let stack = try TestStack.start(
            databaseURL: database, threads: 2, nginxEnvironment: ["TW_NGINX_WEBHOOK_CONN": "3"])
        defer { stack.stop() }
        let flood = SlowBodyFlood()
        defer { flood.end() }
        try flood.open(
            3, to: stack.nginx.port, from: "127.0.0.62", path: "/api/evolution/webhook/evo-1", bodyBytes: 1024,
            sentBytes: 16)

        // Three bodies on their way from 127.0.0.62: a fourth delivery from there is refused (as soon as nginx has read
        // the three requests' headers), one from elsewhere is not.
        let delivery = { (address: String) in
            try stack.nginx.send(
                "POST", "/api/evolution/webhook", headers: [("Content-Type", "application/json")],
                body: Data("{}".utf8), from: address)
        }
        var refused = try delivery("127.0.0.62")
        try Wait.until("a fourth delivery from 127.0.0.62 is refused", timeoutSeconds: 5) {
            if refused.status != 429 { refused = try delivery("127.0.0.62") }
            return refused.status == 429
        }
        #expect(refused.headers["retry-after"] == "1")
        #expect(try refused.jsonObject()["error"] as? String == "rate_limited")
        #expect(flood.all.allSatisfy { !$0.hasSomethingToRead })
        let elsewhere = try delivery("127.0.0.63")
        #expect(elsewhere.status != 429, "\(elsewhere.text)")
    }

    // MARK: - Evolution's deliveries

    /// What one delivery ended with, and how many times it was sent.
    private struct Outcome: Sendable, CustomStringConvertible {
        let status: Int
        let attempts: Int
        var description: String { "\(status) after \(attempts)" }
    }

    /// `connection.update` for delivery `index`: `close` and `open` in turn.
    private static func state(of index: Int) -> String {
        index.isMultiple(of: 2) ? "close" : "open"
    }

    /// ``deliveryCount`` signed deliveries for `instance` from ``nodeAddress``, a quarter of a second apart, each sent
    /// until it is answered otherwise than 429 (after the `Retry-After` the answer asks for, as Evolution retries),
    /// the next one only then. The pauses are the pace of Evolution's events, not a synchronisation.
    private static func deliverInTurn(_ instance: String, to port: Int) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for index in 0..<deliveryCount {
            if index > 0 { usleep(250_000) }
            let body =
                #"{"event":"connection.update","instance":"\#(instance)","data":{"state":"\#(state(of: index))","#
                + #""statusReason":200},"destination":"x","date_time":"\#(isoNow())","#
                + #""server_url":"http://evolution","apikey":null}"#
            let send = {
                try TestHTTPClient.send(
                    port: port, method: "POST", path: "/api/evolution/webhook",
                    headers: [
                        ("Authorization", "Bearer " + WhatsAppWebhookTests.evolutionToken()),
                        ("Content-Type", "application/json"),
                    ], body: Data(body.utf8), timeoutSeconds: 10, from: nodeAddress)
            }
            var response = try send()
            var attempts = 1
            while response.status == 429 && attempts < 60 {
                usleep(UInt32(Int(response.headers["retry-after"] ?? "1") ?? 1) * 1_000_000)
                response = try send()
                attempts += 1
            }
            outcomes.append(Outcome(status: response.status, attempts: attempts))
        }
        return outcomes
    }

    private static func isoNow() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
