import Foundation
import JWT
import Testing

/// Evolution's webhooks from the simulator, through its nginx, checked against docs/simulator.md: configuration
/// (`webhook/set`, `webhook/find`), the envelopes that arrive at a target, the `Authorization` that a `jwt_key`
/// becomes, and the control API that breaks or slows delivery and lists what went out.
@Suite("Evolution simulator webhook contract", .serialized)
final class EvolutionSimulatorWebhookContractTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    /// Evolution's error envelope with `message` (raw JSON: a string, an array or an array of arrays).
    private static func envelope(_ status: Int, _ error: String, _ message: String) -> String {
        #"{"status":\#(status),"error":"\#(error)","response":{"message":\#(message)}}"#
    }

    /// Creates `name` with a QR code and, when given, `webhook` (the raw JSON object); returns the 201 body.
    @discardableResult
    private func create(_ name: String, webhook: String? = nil) throws -> [String: Any] {
        let response = try sim.sendWithKey(
            "POST", "/instance/create",
            json: #"{"instanceName":"\#(name)","integration":"WHATSAPP-BAILEYS","qrcode":true"#
                + (webhook.map { #","webhook":"# + $0 } ?? "") + "}")
        guard response.status == 201 else { throw TestFailure("create answered \(response.status): \(response.text)") }
        return try response.jsonObject()
    }

    /// A `jwt_key` as the product makes them: random, and long enough for an HS256 verifier.
    private static func newJWTKey() -> String {
        "jwt-key-" + UUID().uuidString + UUID().uuidString
    }

    // MARK: - Configuration

    @Test func webhookSetNeedsTheNestedBody() throws {
        try create("t1")
        let flat = try sim.sendWithKey("POST", "/webhook/set/t1", json: #"{"enabled":true,"url":"http://x/"}"#)
        #expect(flat.status == 400)
        #expect(
            flat.text
                == Self.envelope(400, "Bad Request", #"[["instance requires property \"webhook\""]]"#)
        )
        let noEvents = try sim.sendWithKey(
            "POST", "/webhook/set/t1", json: #"{"webhook":{"enabled":true,"url":"http://x/"}}"#)
        #expect(noEvents.status == 500)
        let created = try sim.sendWithKey(
            "POST", "/webhook/set/t1",
            json: #"{"webhook":{"enabled":true,"url":"http://x/","events":["CONNECTION_UPDATE"]}}"#)
        #expect(created.status == 201)
        #expect(try created.jsonObject()["events"] as? [String] == ["CONNECTION_UPDATE"])
        let found = try sim.sendWithKey("GET", "/webhook/find/t1").jsonObject()
        #expect(found["url"] as? String == "http://x/")
    }

    @Test func webhookFindAnswersNullWithoutAWebhook() throws {
        try create("t1")
        #expect(try sim.sendWithKey("GET", "/webhook/find/t1").text == "null")
    }

    @Test func webhookFindReadsBackWhatWebhookSetStored() throws {
        try create("t1")
        let body = #"{"webhook":"# + sim.productWebhook(jwtKey: Self.newJWTKey()) + "}"
        let set = try sim.sendWithKey("POST", "/webhook/set/t1", json: body)
        #expect(set.status == 201)
        let found = try sim.sendWithKey("GET", "/webhook/find/t1")
        #expect(found.status == 200)
        let stored = try found.jsonObject()
        #expect(NSDictionary(dictionary: stored) == NSDictionary(dictionary: try set.jsonObject()))
        #expect(stored["url"] as? String == sim.webhookTargetURL)
        #expect(stored["webhookBase64"] as? Bool == true)
        #expect(stored["webhookByEvents"] as? Bool == false)
        #expect(
            stored["events"] as? [String] == [
                "QRCODE_UPDATED", "CONNECTION_UPDATE", "LOGOUT_INSTANCE", "REMOVE_INSTANCE",
            ])
        #expect(try sim.send("GET", "/webhook/find/t1", headers: [("apikey", "wrong")]).status == 401)
        let unknown = try sim.send("GET", "/webhook/find/ghost")
        #expect(unknown.status == 404)
        #expect(unknown.text == Self.envelope(404, "Not Found", #"["The \"ghost\" instance does not exist"]"#))
        #expect(try sim.calls(route: "webhookFind", instance: "t1").count == 2)
    }

    // MARK: - Delivery

    @Test func webhooksDeliverQRCodeAndConnectionEnvelopes() throws {
        let url = "\(sim.baseURL)/_sim/webhooks"
        let response = try sim.sendWithKey(
            "POST", "/instance/create",
            json:
                #"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS","qrcode":true,"webhook":{"url":"\#(url)","#
                + #""byEvents":true,"events":["QRCODE_UPDATED","CONNECTION_UPDATE"]}}"#
        )
        #expect(response.status == 201)
        try sim.scan(instance: "t1")
        var received: [[String: Any]] = []
        try Wait.until("three webhooks arrive", timeoutSeconds: 10) {
            received = try sim.receivedWebhooks()
            return received.count >= 3
        }
        let paths = Set(received.compactMap { $0["path"] as? String })
        #expect(paths == ["/_sim/webhooks/connection-update", "/_sim/webhooks/qrcode-updated"])
        let bodies = received.compactMap { $0["body"] as? [String: Any] }
        let open = try #require(bodies.first { ($0["data"] as? [String: Any])?["state"] as? String == "open" })
        #expect(open["event"] as? String == "connection.update")
        #expect(open["instance"] as? String == "t1")
        #expect((open["sender"] as? String)?.hasSuffix("@s.whatsapp.net") == true)
        #expect(open["apikey"] is NSNull)
        let qr = try #require(bodies.first { $0["event"] as? String == "qrcode.updated" })
        #expect(qr["sender"] == nil)
        #expect(((qr["data"] as? [String: Any])?["qrcode"] as? [String: Any])?["instance"] as? String == "t1")
    }

    @Test func aJWTKeyWebhookDeliversTheQRCodeAndOpenWithABearerTokenTheVerifierAccepts() throws {
        let jwtKey = Self.newJWTKey()
        try create("t1", webhook: sim.productWebhook(jwtKey: jwtKey))
        let qrCode = try sim.awaitWebhook(event: "qrcode.updated")
        try sim.scan(instance: "t1")
        let open = try sim.awaitWebhook(event: "connection.update", state: "open")

        let verifier = JWTVerifier(key: try JWTVerificationKey(hmacSecret: Array(jwtKey.utf8)))
        var tokens: [String] = []
        for received in [qrCode, open] {
            #expect(received["path"] as? String == "/_sim/webhooks")
            let headers = try #require(received["headers"] as? [String: Any])
            // nginx would drop a header with an underscore; the delivery log below shows none was sent at all.
            #expect(headers["jwt_key"] == nil && headers["jwt-key"] == nil)
            let authorization = try #require(headers["authorization"] as? String)
            #expect(authorization.hasPrefix("Bearer "))
            let token = String(authorization.dropFirst("Bearer ".count))
            tokens.append(token)
            let claims = try verifier.verify(token)
            #expect(claims.string("app") == "evolution")
            #expect(claims.string("action") == "webhook")
            let issuedAt = try #require(claims["iat"]?.integerValue)
            #expect(claims["exp"]?.integerValue == issuedAt + 600)
            #expect(abs(issuedAt - Int(Date().timeIntervalSince1970)) < 60)
        }
        let qrData = try #require((qrCode["body"] as? [String: Any])?["data"] as? [String: Any])
        let qr = try #require(qrData["qrcode"] as? [String: Any])
        #expect((qr["base64"] as? String)?.hasPrefix("data:image/png;base64,") == true)
        #expect(qr["instance"] as? String == "t1")

        try Wait.until("connecting, the QR code and open are logged as delivered", timeoutSeconds: 10) {
            let deliveries = try sim.deliveries()
            return deliveries.count == 3 && deliveries.allSatisfy { $0["outcome"] as? String == "delivered" }
        }
        for delivery in try sim.deliveries() {
            #expect(delivery["url"] as? String == sim.webhookTargetURL)
            #expect(delivery["authorization"] as? Bool == true)
            #expect(delivery["headers"] as? [String] == ["Content-Type", "Authorization"])
        }
        let shown = try sim.send("GET", "/_sim/deliveries").text + sim.allLogText()
        for secret in [jwtKey] + tokens { #expect(!shown.contains(secret)) }
    }

    // MARK: - Breaking and slowing delivery

    @Test func deliveryModeDropSendsNothing() throws {
        try sim.updateSettings(#"{"webhookDeliveryMode":"drop"}"#)
        try create("t1", webhook: sim.productWebhook(jwtKey: Self.newJWTKey()))
        try sim.scan(instance: "t1")
        let dropped = try sim.deliveries()
        #expect(dropped.map { $0["event"] as? String } == ["connection.update", "qrcode.updated", "connection.update"])
        #expect(dropped.allSatisfy { $0["outcome"] as? String == "dropped" && $0["attempts"] as? Int == 0 })
        // Deliveries go out in order: once a later event has arrived, a dropped one that had been sent would be
        // there too.
        try sim.updateSettings(#"{"webhookDeliveryMode":"normal"}"#)
        #expect(try sim.sendWithKey("DELETE", "/instance/logout/t1").status == 200)
        try sim.awaitWebhook(event: "connection.update", state: "close")
        let events = try sim.receivedWebhooks().compactMap { ($0["body"] as? [String: Any])?["event"] as? String }
        #expect(events == ["logout.instance", "connection.update"])
    }

    @Test func deliveryModeFailSendsEachOnceAndCountsItFailed() throws {
        try sim.updateSettings(#"{"webhookDeliveryMode":"fail"}"#)
        try create("t1", webhook: sim.productWebhook(jwtKey: Self.newJWTKey()))
        try Wait.until("both deliveries are counted as failed", timeoutSeconds: 10) {
            try sim.deliveries().filter { $0["outcome"] as? String == "failed" }.count == 2
        }
        for delivery in try sim.deliveries() {
            #expect(delivery["attempts"] as? Int == 1)
            #expect(delivery["status"] as? Int == 200)
        }
        #expect(try sim.receivedWebhooks().count == 2)
    }

    @Test func aDelayHoldsEachDeliveryBeforeItsFirstAttempt() throws {
        try sim.updateSettings(#"{"webhookDelayMs":1500}"#)
        try create("t1", webhook: sim.productWebhook(jwtKey: Self.newJWTKey()))
        #expect(try sim.deliveries().allSatisfy { $0["outcome"] as? String == "pending" })
        #expect(try sim.receivedWebhooks().isEmpty)
        try sim.awaitWebhook(event: "qrcode.updated")
        #expect(try sim.deliveries().contains { $0["outcome"] as? String == "delivered" })
    }
}
