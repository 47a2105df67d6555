import HTTPServer
import JSON
import Testing

@testable import EvolutionSimulator

/// Which webhooks the simulator queues, where to, and their envelopes (docs/simulator.md).
@Suite("Evolution simulator webhooks")
struct EvolutionSimulatorWebhookTests {
    private static let webhook = #","webhook":{"url":"http://127.0.0.1:9/hook","events":[]}"#

    private func envelopes(_ deliveries: [WebhookDelivery]) -> [JSONValue] {
        deliveries.compactMap { try? JSONParser().parse($0.body) }
    }

    @Test func createWithAQRCodeQueuesCreateConnectingAndQRCodeEvents() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.webhook)
        let deliveries = harness.state.takeOutbox()
        #expect(deliveries.map(\.event) == ["instance.create", "connection.update", "qrcode.updated"])
        #expect(Set(deliveries.map(\.url)) == ["http://127.0.0.1:9/hook"])
        let qr = envelopes(deliveries)[2]
        #expect(qr["event"] == "qrcode.updated")
        #expect(qr["instance"] == "t1")
        #expect(qr["data"]?["qrcode"]?["instance"] == "t1")
        #expect(qr["data"]?["qrcode"]?["base64"]?.stringValue?.hasPrefix("data:image/png;base64,") == true)
        #expect(qr["destination"] == "http://127.0.0.1:9/hook")
        #expect(qr["sender"] == nil)
        #expect(qr["apikey"] == .null)
        #expect(qr["server_url"] == "http://127.0.0.1")
    }

    @Test func theOpenEventCarriesTheAccountAndTheSender() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.webhook)
        _ = harness.state.takeOutbox()
        _ = harness.state.scan("t1", wuid: "5511999999999@s.whatsapp.net", profileName: "Ana", now: harness.now)
        let open = envelopes(harness.state.takeOutbox())
        #expect(open.count == 1)
        #expect(
            open.first?["data"]
                == [
                    "instance": "t1", "wuid": "5511999999999@s.whatsapp.net", "profileName": "Ana",
                    "profilePictureUrl": nil, "state": "open", "statusReason": 200,
                ])
        #expect(open.first?["sender"] == "5511999999999@s.whatsapp.net")
    }

    @Test func logoutSendsStatusLogoutThenClose401() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.webhook)
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        _ = harness.state.takeOutbox()
        harness.send(.delete, "/instance/logout/t1")
        let events = envelopes(harness.state.takeOutbox())
        #expect(
            events.compactMap { $0["event"]?.stringValue } == [
                "status.instance", "logout.instance", "connection.update",
            ])
        #expect(events.last?["data"] == ["instance": "t1", "state": "close", "statusReason": 401])
    }

    @Test func onlySubscribedEventsAreSentAndByEventsAddsTheEventToThePath() {
        var harness = SimulatorHarness()
        harness.create(
            "t1", extra: #","webhook":{"url":"http://127.0.0.1:9/hook","byEvents":true,"events":["QRCODE_UPDATED"]}"#)
        let deliveries = harness.state.takeOutbox()
        #expect(deliveries.map(\.event) == ["qrcode.updated"])
        #expect(deliveries.first?.url == "http://127.0.0.1:9/hook/qrcode-updated")
    }

    @Test func aURLThatIsNotHTTPGetsNothing() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: #","webhook":{"url":"ftp://127.0.0.1/","events":[]}"#)
        #expect(harness.state.takeOutbox().isEmpty)
    }

    @Test func theTokenIsInTheEnvelopeOnlyWhenExposingItIsOn() {
        var harness = SimulatorHarness { $0.exposeTokenInWebhooks = true }
        let token = harness.create("t1", extra: Self.webhook)
        #expect(envelopes(harness.state.takeOutbox()).allSatisfy { $0["apikey"]?.stringValue == token })
    }

    @Test func aJWTKeyIsNotSentButBecomesAnAuthorizationThatWinsOverAConfiguredOne() {
        var harness = SimulatorHarness()
        harness.create(
            "t1",
            extra:
                #","webhook":{"url":"http://127.0.0.1:9/","events":[],"#
                + #""headers":{"authorization":"Bearer abc","jwt_key":"s"}}"#
        )
        let headers = harness.state.takeOutbox().first?.headers ?? []
        #expect(headers.map(\.name) == ["Content-Type", "Authorization"])
        #expect(headers.last?.value.hasPrefix("Bearer ey") == true)
    }

    @Test func deliveriesCarryTheRetrySettingsAndBackOffByDoubling() {
        var harness = SimulatorHarness {
            $0.webhookAttempts = 4
            $0.webhookRetryMilliseconds = 100
        }
        harness.create("t1", extra: Self.webhook)
        var delivery = harness.state.takeOutbox()[0]
        #expect(delivery.maximumAttempts == 4)
        delivery.attempt = 1
        #expect(delivery.retryDelay == .milliseconds(100))
        delivery.attempt = 3
        #expect(delivery.retryDelay == .milliseconds(400))
        #expect(WebhookDelivery.finalStatuses == [400, 401, 403, 404, 422])
    }

    @Test func webhookSetStoresNoEventsWhenDisabled() {
        var harness = SimulatorHarness()
        harness.create("t1")
        let response = harness.send(
            .post, "/webhook/set/t1",
            json: #"{"webhook":{"enabled":false,"url":"http://127.0.0.1:9/","events":["CALL"]}}"#)
        #expect(response.status == .created)
        #expect(response.json["events"] == [])
        let unknown = harness.send(
            .post, "/webhook/set/t1", json: #"{"webhook":{"enabled":true,"url":"http://x/","events":["NOPE"]}}"#)
        #expect(unknown.status == .badRequest)
    }

    @Test func aDeletedInstanceHoldsItsNameUntilItsRemoveDeliveryEnds() {
        var harness = SimulatorHarness { $0.holdsDeletedNameUntilRemoveDelivered = true }
        harness.create("t1", extra: Self.webhook)
        _ = harness.state.takeOutbox()
        #expect(harness.send(.delete, "/instance/delete/t1").status == .ok)
        let removal = harness.state.takeOutbox().first { $0.event == "remove.instance" }
        guard let removal else {
            Issue.record("no remove.instance delivery")
            return
        }
        // Evolution awaits the delivery (retries included): the name is still in use, the instance closed.
        #expect(harness.state.instances["t1"]?.state == .close)
        let create = #"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS"}"#
        #expect(harness.send(.post, "/instance/create", json: create).status == .forbidden)
        harness.state.recordAttempt(
            WebhookAttemptResult(delivery: removal, status: 500, error: nil, outcome: .retrying))
        #expect(harness.state.instances["t1"] != nil)
        harness.state.recordAttempt(
            WebhookAttemptResult(delivery: removal, status: 200, error: nil, outcome: .delivered))
        #expect(harness.state.instances["t1"] == nil)
        #expect(harness.send(.post, "/instance/create", json: create).status == .created)
    }
}
