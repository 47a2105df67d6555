import HTTPServer
import JSON
import Testing

@testable import EvolutionSimulator

/// Evolution's envelopes and guard order, as the simulator writes them (docs/simulator.md).
@Suite("Evolution simulator envelopes")
struct EvolutionSimulatorEnvelopeTests {
    @Test func unauthorizedCarriesAStringMessage() {
        var harness = SimulatorHarness()
        harness.create("t1")
        let response = harness.send(.get, "/instance/connectionState/t1", key: "wrong")
        #expect(response.status == .unauthorized)
        #expect(response.text == #"{"status":401,"error":"Unauthorized","response":{"message":"Unauthorized"}}"#)
    }

    @Test func businessErrorsCarryAnArrayAndSchemaErrorsANestedArray() {
        var harness = SimulatorHarness()
        #expect(
            harness.send(.post, "/instance/create", json: #"{"instanceName":"t1","integration":"NOPE"}"#).text
                == #"{"status":400,"error":"Bad Request","response":{"message":["Invalid integration"]}}"#)
        let schema = harness.send(
            .post, "/instance/create", json: #"{"instanceName":7,"qrcode":1,"number":"+55","integration":"EVOLUTION"}"#)
        #expect(
            schema.json["response"]?["message"]
                == [
                    [
                        "instanceName is not of a type(s) string", #"number does not match pattern "^\\d+[\\.@\\w-]+""#,
                        "qrcode is not of a type(s) boolean",
                    ]
                ])
    }

    @Test func theInstanceGuardRunsBeforeTheKeyGuard() {
        var harness = SimulatorHarness()
        let response = harness.send(.delete, "/instance/delete/ghost", key: nil)
        #expect(response.status == .notFound)
        #expect(response.json["response"]?["message"] == [#"The "ghost" instance does not exist"#])
    }

    @Test func theNameGuardRunsBeforeTheKeyGuardOnCreate() {
        var harness = SimulatorHarness()
        harness.create("t1")
        let response = harness.send(.post, "/instance/create", key: nil, json: #"{"instanceName":"t1"}"#)
        #expect(response.status == .forbidden)
        #expect(response.json["response"]?["message"] == [#"This name "t1" is already in use."#])
    }

    @Test func aMissingNameCollidesAsUndefinedOnceAnyInstanceExists() {
        var harness = SimulatorHarness()
        harness.create("t1")
        let response = harness.send(.post, "/instance/create", json: #"{"integration":"WHATSAPP-BAILEYS"}"#)
        #expect(response.json["response"]?["message"] == [#"This name "undefined" is already in use."#])
    }

    @Test func pathParametersArePercentDecodedAsExpressDoes() {
        var harness = SimulatorHarness()
        harness.create("a b")
        #expect(harness.send(.get, "/instance/connectionState/a%20b").json["instance"]?["instanceName"] == "a b")
    }

    @Test func anUnknownRouteNamesTheMethodAndTheTargetWithItsQuery() {
        var harness = SimulatorHarness()
        let response = harness.send(.get, "/instance/nothing?x=1")
        #expect(response.status == .notFound)
        #expect(response.json["response"]?["message"] == ["Cannot GET /instance/nothing?x=1"])
    }

    @Test func malformedJSONIsAnsweredBeforeRouting() {
        var harness = SimulatorHarness()
        let response = harness.send(.get, "/instance/nothing", json: "{")
        #expect(response.status == .badRequest)
        #expect(response.json["error"] == "Internal Server Error")
    }

    @Test func createAnswersTheWebhookBlockWithOnlyTheFieldsGiven() {
        var harness = SimulatorHarness()
        let response = harness.send(
            .post, "/instance/create",
            json:
                #"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS","#
                + #""webhook":{"url":"http://127.0.0.1:9/","events":[]},"websocket":{"enabled":false}}"#
        )
        #expect(response.status == .created)
        #expect(response.json["webhook"] == ["webhookUrl": "http://127.0.0.1:9/"])
        #expect(response.json["websocket"] == ["enabled": false])
        #expect(response.json["rabbitmq"] == .object([]))
        #expect(harness.state.instances["t1"]?.webhook?.events == WebhookConfiguration.knownEvents)
    }

    @Test func fetchInstancesWithATokenShowsOnlyThatTokensInstances() {
        var harness = SimulatorHarness()
        let token = harness.create("t1")
        harness.create("t2")
        let rows = harness.send(.get, "/instance/fetchInstances", key: token).json.arrayValue ?? []
        #expect(rows.compactMap { $0["name"]?.stringValue } == ["t1"])
        #expect(harness.send(.get, "/instance/fetchInstances", key: "nobody").status == .unauthorized)
        #expect(
            harness.send(.get, "/instance/fetchInstances?instanceId=nope").json["response"]?["message"]
                == [#"Instance "nope" not found"#])
    }

    @Test func theCallLogRecordsStatusAndFaultButNeitherHeadersNorQuery() {
        var harness = SimulatorHarness()
        harness.create("t1")
        harness.send(.post, "/_sim/faults", json: #"{"route":"connect","status":503}"#)
        harness.send(.get, "/instance/connect/t1?apikey=\(SimulatorHarness.key)")
        let last = harness.state.calls.last
        #expect(last?.path == "/instance/connect/t1")
        #expect(last?.status == 503)
        #expect(last?.fault == "status")
        #expect(!harness.send(.get, "/_sim/calls").text.contains(SimulatorHarness.key))
    }
}
