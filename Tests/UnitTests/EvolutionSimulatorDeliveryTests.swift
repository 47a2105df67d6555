import HTTPServer
import JSON
import JWT
import Runtime
import TestTokenMinting
import Testing

@testable import EvolutionSimulator

/// How the simulator sends what it generates: Evolution 2.3's headers (a `jwt_key` signed into `Authorization`),
/// the delivery modes and delay of the control API, and the delivery log of `GET /_sim/deliveries`.
@Suite("Evolution simulator deliveries")
struct EvolutionSimulatorDeliveryTests {
    static let jwtKey = "a per-tenant jwt_key, long enough for HS256 verifiers"

    /// Create's `webhook` member with `headers` (raw JSON) and every event.
    private static func webhook(headers: String) -> String {
        #","webhook":{"url":"http://127.0.0.1:9/hook","events":[],"headers":\#(headers)}"#
    }

    private static var nowSeconds: Int { Int(Timestamp.now().millisecondsSinceEpoch / 1000) }

    @Test func aJWTKeyBecomesABearerTokenSignedWithItCarryingEvolutionsClaims() throws {
        var harness = SimulatorHarness()
        let before = Self.nowSeconds
        harness.create("t1", extra: Self.webhook(headers: #"{"jwt_key":"\#(Self.jwtKey)","x-tenant":"t"}"#))
        let after = Self.nowSeconds
        let delivery = try #require(harness.state.takeOutbox().first)
        #expect(delivery.headers.map(\.name) == ["Content-Type", "x-tenant", "Authorization"])
        #expect(delivery.headers[1].value == "t")
        let authorization = try #require(delivery.headers.last?.value)
        #expect(authorization.hasPrefix("Bearer "))
        let token = String(authorization.dropFirst("Bearer ".count))
        let header = TokenMinter.decode(String(token.split(separator: ".")[0]))
        #expect(header == Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

        let key = try JWTVerificationKey(hmacSecret: Array(Self.jwtKey.utf8))
        let claims = try JWTVerifier(key: key).verify(token)
        #expect(claims.members.map(\.0) == ["iat", "exp", "app", "action"])
        let issuedAt = try #require(claims["iat"]?.integerValue)
        #expect((before...after).contains(issuedAt))
        #expect(claims["exp"]?.integerValue == issuedAt + 600)
        #expect(claims.string("app") == "evolution")
        #expect(claims.string("action") == "webhook")
    }

    @Test func theWebhookClaimsAreEvolutionsInItsOrder() {
        #expect(
            WebhookConfiguration.webhookClaims(issuedAt: 1_700_000_000).serializedString()
                == #"{"iat":1700000000,"exp":1700000600,"app":"evolution","action":"webhook"}"#)
    }

    @Test func withoutAJWTKeyTheConfiguredHeadersGoAsTheyAre() {
        var harness = SimulatorHarness()
        harness.create(
            "t1", extra: Self.webhook(headers: #"{"authorization":"Bearer static","x-a":"1","content-type":"x"}"#))
        let headers = harness.state.takeOutbox().first?.headers ?? []
        #expect(headers.map(\.name) == ["Content-Type", "authorization", "x-a"])
        #expect(headers.map(\.value) == ["application/json", "Bearer static", "1"])
    }

    @Test func aJWTKeyThatCannotSignSendsNothingAndIsRecordedAsFailed() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.webhook(headers: #"{"jwt_key":""}"#))
        #expect(harness.state.takeOutbox().isEmpty)
        let log = harness.state.deliveryLog
        #expect(!log.isEmpty)
        #expect(log.allSatisfy { $0.outcome == .failed && $0.attempts == 0 })
        #expect(log.first?.error == "cannot sign JWT: the secret is empty")
    }

    @Test func dropModeRecordsEveryEventButQueuesNone() {
        var harness = SimulatorHarness { $0.webhookDeliveryMode = .drop }
        harness.create("t1", extra: Self.webhook(headers: "{}"))
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        #expect(harness.state.takeOutbox().isEmpty)
        #expect(harness.state.deliveryLog.allSatisfy { $0.outcome == .dropped })
        #expect(
            harness.state.deliveryLog.map(\.event) == [
                "instance.create", "connection.update", "qrcode.updated", "connection.update",
            ])
    }

    @Test func failModeSendsEachDeliveryOnceAndCountsItFailedWhateverTheAnswer() {
        var harness = SimulatorHarness { $0.webhookDeliveryMode = .fail }
        harness.create("t1", extra: Self.webhook(headers: "{}"))
        var delivery = harness.state.takeOutbox()[0]
        #expect(delivery.failsOnPurpose)
        delivery.attempt = 1
        #expect(delivery.outcome(afterStatus: 200) == .failed)
        #expect(delivery.outcome(afterStatus: nil) == .failed)
    }

    @Test func aDelayHoldsEachDeliveryBeforeItsFirstAttempt() {
        var harness = SimulatorHarness { $0.webhookDelayMilliseconds = 1500 }
        harness.create("t1", extra: Self.webhook(headers: "{}"))
        #expect(harness.state.takeOutbox().allSatisfy { $0.notBefore == harness.now + .milliseconds(1500) })
    }

    @Test func outcomesFollowEvolutionsRetryRules() {
        var harness = SimulatorHarness { $0.webhookAttempts = 2 }
        harness.create("t1", extra: Self.webhook(headers: "{}"))
        var delivery = harness.state.takeOutbox()[0]
        delivery.attempt = 1
        #expect(delivery.outcome(afterStatus: 204) == .delivered)
        #expect(delivery.outcome(afterStatus: 401) == .refused)
        #expect(delivery.outcome(afterStatus: 422) == .refused)
        #expect(delivery.outcome(afterStatus: 500) == .retrying)
        #expect(delivery.outcome(afterStatus: nil) == .retrying)
        delivery.attempt = 2
        #expect(delivery.outcome(afterStatus: 500) == .failed)
    }

    @Test func theLogTakesInAttemptsButIgnoresThoseFromBeforeAReset() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.webhook(headers: "{}"))
        var delivery = harness.state.takeOutbox()[0]
        delivery.attempt = 1
        harness.state.recordAttempt(
            WebhookAttemptResult(delivery: delivery, status: 503, error: nil, outcome: .retrying))
        let record = harness.state.deliveryLog.first { $0.id == delivery.id }
        #expect(record?.outcome == .retrying)
        #expect(record?.attempts == 1)
        #expect(record?.status == 503)

        harness.send(.post, "/_sim/reset")
        harness.create("t1", extra: Self.webhook(headers: "{}"))
        let countAfterReset = harness.state.deliveryLog.count
        harness.state.recordAttempt(
            WebhookAttemptResult(delivery: delivery, status: 200, error: nil, outcome: .delivered))
        #expect(harness.state.deliveryLog.count == countAfterReset)
        #expect(harness.state.deliveryLog.allSatisfy { $0.outcome == .pending })
    }

    @Test func theDeliveryLogShowsWhereAndWhichHeadersButNeverTheirValues() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.webhook(headers: #"{"jwt_key":"\#(Self.jwtKey)","x-secret":"hush"}"#))
        let token = harness.state.outbox.first?.headers.last?.value ?? "missing"
        let response = harness.send(.get, "/_sim/deliveries", key: nil)
        #expect(response.status == .ok)
        let first = response.json["deliveries"]?.arrayValue?.first
        #expect(first?["event"] == "instance.create")
        #expect(first?["instance"] == "t1")
        #expect(first?["url"] == "http://127.0.0.1:9/hook")
        #expect(first?["headers"] == ["Content-Type", "x-secret", "Authorization"])
        #expect(first?["authorization"] == true)
        #expect(first?["outcome"] == "pending")
        #expect(first?["attempts"] == 0)
        #expect(first?["status"] == .null)
        for secret in [Self.jwtKey, "hush", token, String(token.dropFirst("Bearer ".count))] {
            #expect(!response.text.contains(secret))
        }
        #expect(harness.send(.delete, "/_sim/deliveries", key: nil).status == .ok)
        #expect(harness.state.deliveryLog.isEmpty)
    }

    @Test func theWebhookTargetKeepsTheHeadersItReceivedButNoAPIKey() {
        var harness = SimulatorHarness()
        harness.send(.post, "/_sim/webhooks", key: SimulatorHarness.key, json: #"{"event":"x"}"#)
        let received = harness.send(.get, "/_sim/webhooks", key: nil)
        let headers = received.json["webhooks"]?.arrayValue?.first?["headers"]
        #expect(headers?["content-type"] == "application/json")
        #expect(headers?["apikey"] == nil)
        #expect(!received.text.contains(SimulatorHarness.key))
    }

    @Test func theDeliveryModeAndDelayAreSettingsFromTheEnvironmentOrAPatch() throws {
        let loaded = try SimulatorSettings.load(from: [
            "SIM_API_KEY": "k", "SIM_WEBHOOK_DELIVERY": "drop", "SIM_WEBHOOK_DELAY_MS": "250",
        ])
        #expect(loaded.webhookDeliveryMode == .drop)
        #expect(loaded.webhookDelayMilliseconds == 250)
        #expect(throws: ConfigurationError.self) {
            try SimulatorSettings.load(from: ["SIM_API_KEY": "k", "SIM_WEBHOOK_DELIVERY": "lose"])
        }
        let defaults = SimulatorSettings(apiKey: "k")
        #expect(defaults.webhookDeliveryMode == .normal && defaults.webhookDelayMilliseconds == 0)
        let patched = try defaults.applying(["webhookDeliveryMode": "fail", "webhookDelayMs": 40])
        #expect(patched.json["webhookDeliveryMode"] == "fail")
        #expect(patched.json["webhookDelayMs"] == 40)
        #expect(throws: SimulatorControlError.badRequest("webhookDeliveryMode must be normal, drop or fail")) {
            try defaults.applying(["webhookDeliveryMode": "lose"])
        }
    }
}
