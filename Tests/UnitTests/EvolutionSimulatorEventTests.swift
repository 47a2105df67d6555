import HTTPServer
import JSON
import Testing

@testable import EvolutionSimulator

/// The four events the product subscribes to, when Evolution 2.3 sends them and with which `data`
/// (docs/simulator.md), and `webhook/find` reading back what `webhook/set` stored.
@Suite("Evolution simulator events")
struct EvolutionSimulatorEventTests {
    /// The product's registration: `byEvents` off, `base64` on, a `jwt_key`, its four events.
    static let productWebhook =
        #","webhook":{"url":"http://127.0.0.1:9/hook","byEvents":false,"base64":true,"#
        + #""headers":{"jwt_key":"k"},"#
        + #""events":["QRCODE_UPDATED","CONNECTION_UPDATE","LOGOUT_INSTANCE","REMOVE_INSTANCE"]}"#

    /// The envelopes queued since the last call.
    private func envelopes(_ harness: inout SimulatorHarness) -> [JSONValue] {
        harness.state.takeOutbox().compactMap { try? JSONParser().parse($0.body) }
    }

    private func events(_ envelopes: [JSONValue]) -> [String] {
        envelopes.compactMap { $0["event"]?.stringValue }
    }

    @Test func aCreateWithAQRCodeSendsConnectingThenTheQRCodeAsADataURL() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.productWebhook)
        let sent = envelopes(&harness)
        #expect(events(sent) == ["connection.update", "qrcode.updated"])
        #expect(sent[0]["data"] == ["instance": "t1", "state": "connecting", "statusReason": 200])
        let qrcode = sent[1]["data"]?["qrcode"]
        #expect(qrcode?["instance"] == "t1")
        #expect(qrcode?["pairingCode"] == .null)
        #expect(qrcode?["code"]?.stringValue?.isEmpty == false)
        #expect(qrcode?["base64"]?.stringValue?.hasPrefix("data:image/png;base64,") == true)
        #expect(Set(harness.state.deliveryLog.map(\.url)) == ["http://127.0.0.1:9/hook"])
    }

    @Test func eachRotationAndAConnectOfAClosedInstanceSendANewQRCode() {
        var harness = SimulatorHarness { $0.qrRotateSeconds = 45 }
        harness.create("t1", qrcode: false, extra: Self.productWebhook)
        #expect(envelopes(&harness).isEmpty)
        harness.send(.get, "/instance/connect/t1")
        let connected = envelopes(&harness)
        #expect(events(connected) == ["connection.update", "qrcode.updated"])
        harness.advance(.seconds(45))
        let rotated = envelopes(&harness)
        #expect(events(rotated) == ["qrcode.updated"])
        #expect(rotated.first?["data"]?["qrcode"]?["code"] != connected.last?["data"]?["qrcode"]?["code"])
    }

    @Test func aQRCodeDelayedLikeBaileysIsPushedWhenItArrivesWithoutAnyoneAsking() throws {
        var harness = SimulatorHarness { $0.qrDelayMilliseconds = 700 }
        let response = harness.send(
            .post, "/instance/create",
            json: #"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS","qrcode":true\#(Self.productWebhook)}"#)
        #expect(try JSONParser().parse(response.body)["qrcode"] == ["count": 0])
        #expect(events(envelopes(&harness)) == ["connection.update"])
        harness.advance(.milliseconds(600))
        #expect(envelopes(&harness).isEmpty)
        harness.advance(.milliseconds(100))
        let pushed = envelopes(&harness)
        #expect(events(pushed) == ["qrcode.updated"])
        #expect(pushed.first?["data"]?["qrcode"]?["base64"]?.stringValue?.hasPrefix("data:image/png") == true)
    }

    @Test func aScanSendsOpenWithTheAccount() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.productWebhook)
        _ = envelopes(&harness)
        harness.send(.post, "/_sim/instances/t1/scan", key: nil, json: #"{"wuid":"5511988887777@s.whatsapp.net"}"#)
        let sent = envelopes(&harness)
        #expect(events(sent) == ["connection.update"])
        #expect(sent.first?["data"]?["state"] == "open")
        #expect(sent.first?["data"]?["wuid"] == "5511988887777@s.whatsapp.net")
        #expect(sent.first?["sender"] == "5511988887777@s.whatsapp.net")
    }

    @Test func theQRCodeLimitSendsTheLimitMessageThenRefused() {
        var harness = SimulatorHarness {
            $0.qrRotateSeconds = 1
            $0.qrLimit = 1
        }
        harness.create("t1", extra: Self.productWebhook)
        _ = envelopes(&harness)
        harness.advance(.seconds(1))
        let sent = envelopes(&harness)
        #expect(events(sent) == ["qrcode.updated", "connection.update"])
        #expect(sent[0]["data"] == ["message": "QR code limit reached, please login again", "statusCode": 500])
        #expect(sent[1]["data"]?["state"] == "refused")
        #expect(sent[1]["data"]?["statusReason"] == 428)
        #expect(harness.state.instances["t1"]?.state == .close)
    }

    @Test(arguments: [428, 440, 500, 515])
    func aDropEvolutionRepairsReconnectsByItselfWithoutAnyWebhook(code: Int) {
        var harness = SimulatorHarness { $0.reconnectMilliseconds = 1500 }
        harness.create("t1", extra: Self.productWebhook)
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        _ = envelopes(&harness)

        let answer = harness.send(.post, "/_sim/instances/t1/drop", key: nil, json: #"{"statusReason":\#(code)}"#)

        #expect(answer.status.code == 200)
        #expect(harness.state.instances["t1"]?.state == .connecting)
        #expect(harness.state.instances["t1"]?.disconnectionReasonCode == code)
        harness.advance(.milliseconds(1499))
        #expect(harness.state.instances["t1"]?.state == .connecting)
        harness.advance(.milliseconds(1))
        #expect(harness.state.instances["t1"]?.state == .open)
        #expect(envelopes(&harness).isEmpty, "Evolution sends no webhook for a drop it repairs")
    }

    @Test func aRepairedDropReadsCloseForItsRestartThenConnectingThenOpenWithoutAnyWebhook() {
        var harness = SimulatorHarness {
            $0.reconnectCloseMilliseconds = 500
            $0.reconnectMilliseconds = 1000
        }
        harness.create("t1", extra: Self.productWebhook)
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        _ = envelopes(&harness)

        let answer = harness.send(.post, "/_sim/instances/t1/drop", key: nil, json: #"{"statusReason":515}"#)

        #expect(answer.status.code == 200)
        #expect(harness.state.instances["t1"]?.state == .close)
        harness.advance(.milliseconds(499))
        #expect(harness.state.instances["t1"]?.state == .close)
        harness.advance(.milliseconds(1))
        #expect(harness.state.instances["t1"]?.state == .connecting)
        harness.advance(.milliseconds(1000))
        #expect(harness.state.instances["t1"]?.state == .open)
        #expect(envelopes(&harness).isEmpty, "Evolution sends no webhook for a drop it repairs")
    }

    @Test func aRepairedDropOfAnInstanceThatIsNotOpenIsRefusedAndAnUnknownCodeToo() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.productWebhook)
        #expect(
            harness.send(.post, "/_sim/instances/t1/drop", key: nil, json: #"{"statusReason":515}"#).status.code == 409)
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        #expect(
            harness.send(.post, "/_sim/instances/t1/drop", key: nil, json: #"{"statusReason":499}"#).status.code == 400)
        #expect(harness.state.instances["t1"]?.state == .open)
    }

    @Test func aDropSendsStatusThenLogoutThenCloseWithItsReason() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: #","webhook":{"url":"http://127.0.0.1:9/hook","events":[]}"#)
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        _ = envelopes(&harness)
        harness.send(.post, "/_sim/instances/t1/drop", key: nil, json: #"{"statusReason":403}"#)
        let sent = envelopes(&harness)
        #expect(events(sent) == ["status.instance", "logout.instance", "connection.update"])
        #expect(sent[0]["data"]?["disconnectionReasonCode"] == 403)
        #expect(sent[1]["data"] == .null)
        #expect(sent[2]["data"] == ["instance": "t1", "state": "close", "statusReason": 403])
    }

    @Test func aLogoutSendsLogoutThenClose401ToTheProduct() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.productWebhook)
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        _ = envelopes(&harness)
        harness.send(.delete, "/instance/logout/t1")
        let sent = envelopes(&harness)
        #expect(events(sent) == ["logout.instance", "connection.update"])
        #expect(sent[0]["data"] == .null)
        #expect(sent[1]["data"] == ["instance": "t1", "state": "close", "statusReason": 401])
    }

    @Test func aDeleteOfAConnectedInstanceLogsOutThenSendsRemoveWithNullData() {
        var harness = SimulatorHarness()
        harness.create("t1", extra: Self.productWebhook)
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        _ = envelopes(&harness)
        harness.send(.delete, "/instance/delete/t1")
        let sent = envelopes(&harness)
        #expect(events(sent) == ["logout.instance", "connection.update", "remove.instance"])
        #expect(sent.last?["data"] == .null)
        #expect(sent.last?["instance"] == "t1")
    }

    @Test func webhookFindAnswersTheRowWebhookSetStored() {
        var harness = SimulatorHarness()
        let token = harness.create("t1", qrcode: false)
        #expect(harness.send(.get, "/webhook/find/t1").text == "null")
        let set = harness.send(
            .post, "/webhook/set/t1",
            json: #"{"webhook":{"enabled":true,"url":"http://127.0.0.1:9/hook","headers":{"jwt_key":"k"},"#
                + #""byEvents":false,"base64":true,"events":["QRCODE_UPDATED","CONNECTION_UPDATE"]}}"#)
        #expect(set.status == .created)
        let found = harness.send(.get, "/webhook/find/t1", key: token)
        #expect(found.status == .ok)
        #expect(found.json == set.json)
        #expect(found.json["headers"] == ["jwt_key": "k"])
        #expect(found.json["webhookBase64"] == true)
        #expect(harness.send(.get, "/webhook/find/t1", key: "wrong").status == .unauthorized)
        #expect(harness.send(.get, "/webhook/find/ghost", key: "wrong").status == .notFound)
        #expect(harness.state.calls.last?.route == "webhookFind")
    }

    @Test func webhookSetAgainKeepsTheRowsIdentityAndTakesEffect() {
        var harness = SimulatorHarness()
        harness.create("t1", qrcode: false)
        let first = harness.send(
            .post, "/webhook/set/t1",
            json: #"{"webhook":{"enabled":true,"url":"http://127.0.0.1:9/a","events":["CONNECTION_UPDATE"]}}"#)
        let second = harness.send(
            .post, "/webhook/set/t1",
            json: #"{"webhook":{"enabled":true,"url":"http://127.0.0.1:9/b","events":["QRCODE_UPDATED"]}}"#)
        #expect(second.json["id"] == first.json["id"])
        #expect(second.json["createdAt"] == first.json["createdAt"])
        harness.send(.get, "/instance/connect/t1")
        #expect(harness.state.takeOutbox().map(\.url) == ["http://127.0.0.1:9/b"])
    }
}
