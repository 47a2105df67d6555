import Foundation
import Testing

/// The simulator as raw HTTP through its nginx, checked against docs/simulator.md: status codes, exact envelopes,
/// guard order, and the quirks a client must survive. Webhooks (§6) have a suite of their own,
/// ``EvolutionSimulatorWebhookContractTests``.
@Suite("Evolution simulator contract", .serialized)
final class EvolutionSimulatorContractTests {
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

    /// Creates `name` with a QR code; returns the 201 body.
    @discardableResult
    private func create(_ name: String, qrcode: Bool = true) throws -> [String: Any] {
        let response = try sim.sendWithKey(
            "POST", "/instance/create",
            json: #"{"instanceName":"\#(name)","integration":"WHATSAPP-BAILEYS","qrcode":\#(qrcode)}"#)
        guard response.status == 201 else { throw TestFailure("create answered \(response.status): \(response.text)") }
        return try response.jsonObject()
    }

    // MARK: - §1–2: authentication, guards, envelopes

    @Test func rootWelcomesWithoutAKey() throws {
        let response = try sim.send("GET", "/")
        #expect(response.status == 200)
        #expect(try response.jsonObject()["message"] as? String == "Welcome to the Evolution API, it is working!")
    }

    @Test func unknownRouteOrMethodIsExpresssCannot() throws {
        let response = try sim.sendWithKey("PUT", "/instance/restart/x")
        #expect(response.status == 404)
        #expect(
            response.text
                == Self.envelope(404, "Not Found", #"["Cannot PUT /instance/restart/x"]"#))
    }

    @Test func aMissingKeyIs401WithAStringMessage() throws {
        try create("t1")
        let response = try sim.send("GET", "/instance/connectionState/t1")
        #expect(response.status == 401)
        #expect(response.text == Self.envelope(401, "Unauthorized", #""Unauthorized""#))
        #expect(try sim.send("GET", "/instance/connectionState/t1", headers: [("apikey", "wrong")]).status == 401)
    }

    @Test func theKeyHeaderNameIsCaseInsensitive() throws {
        try create("t1")
        let response = try sim.send("GET", "/instance/connectionState/t1", headers: [("APIKEY", sim.apiKey)])
        #expect(response.status == 200)
    }

    @Test func anUnknownInstanceIs404BeforeTheKeyIsChecked() throws {
        let response = try sim.send("GET", "/instance/connectionState/ghost")
        #expect(response.status == 404)
        #expect(
            response.text
                == Self.envelope(404, "Not Found", #"["The \"ghost\" instance does not exist"]"#)
        )
    }

    @Test func aTakenNameIs403BeforeTheKeyIsChecked() throws {
        try create("t1")
        let response = try sim.send(
            "POST", "/instance/create", headers: [("Content-Type", "application/json")],
            body: Data(#"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS"}"#.utf8))
        #expect(response.status == 403)
        #expect(
            response.text
                == Self.envelope(403, "Forbidden", #"["This name \"t1\" is already in use."]"#)
        )
    }

    @Test func anInstanceTokenOpensItsOwnInstanceOnly() throws {
        let token = try #require(try create("t1")["hash"] as? String)
        try create("t2")
        #expect(try sim.send("GET", "/instance/connectionState/t1", headers: [("apikey", token)]).status == 200)
        #expect(try sim.send("GET", "/instance/connectionState/t2", headers: [("apikey", token)]).status == 401)
        let creating = try sim.send(
            "POST", "/instance/create", headers: [("apikey", token), ("Content-Type", "application/json")],
            body: Data(#"{"instanceName":"t3","integration":"WHATSAPP-BAILEYS"}"#.utf8))
        #expect(creating.status == 401)
        let rows =
            try JSONSerialization.jsonObject(
                with: try sim.send("GET", "/instance/fetchInstances", headers: [("apikey", token)]).body)
            as? [[String: Any]]
        #expect(rows?.compactMap { $0["name"] as? String } == ["t1"])
    }

    @Test func schemaErrorsAreNestedArrays() throws {
        let response = try sim.sendWithKey(
            "POST", "/instance/create", json: #"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS","qrcode":"yes"}"#)
        #expect(response.status == 400)
        #expect(
            response.text
                == Self.envelope(400, "Bad Request", #"[["qrcode is not of a type(s) boolean"]]"#)
        )
    }

    @Test func anEmptyNameAloneIsASchemaErrorButWithOtherKeysItIsAccepted() throws {
        let alone = try sim.sendWithKey("POST", "/instance/create", json: #"{"instanceName":""}"#)
        #expect(alone.status == 400)
        #expect(
            alone.text
                == Self.envelope(400, "Bad Request", #"[["The \"instanceName\" cannot be empty"]]"#)
        )
        let withOthers = try sim.sendWithKey(
            "POST", "/instance/create", json: #"{"instanceName":"","integration":"WHATSAPP-BAILEYS"}"#)
        #expect(withOthers.status == 201)
    }

    @Test func aMissingIntegrationIsInvalidIntegration() throws {
        let response = try sim.sendWithKey("POST", "/instance/create", json: #"{"instanceName":"t1"}"#)
        #expect(response.status == 400)
        #expect(
            response.text == Self.envelope(400, "Bad Request", #"["Invalid integration"]"#))
    }

    @Test func aWebhookWithoutEventsFailsCreateWithTheTypeError() throws {
        let response = try sim.sendWithKey(
            "POST", "/instance/create",
            json: #"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS","webhook":{"url":"http://127.0.0.1:1/"}}"#)
        #expect(response.status == 400)
        #expect(try sim.sendWithKey("GET", "/instance/connectionState/t1").status == 404)
        #expect(
            response.text
                == Self.envelope(400, "Bad Request", #"["Cannot read properties of undefined (reading 'length')"]"#)
        )
    }

    @Test func withoutAJSONContentTypeTheBodyIsEmptySoTheNameIsUndefined() throws {
        try create("t1")
        let response = try sim.send(
            "POST", "/instance/create", headers: [("apikey", sim.apiKey)],
            body: Data(#"{"instanceName":"t2","integration":"WHATSAPP-BAILEYS"}"#.utf8))
        #expect(response.status == 403)
        #expect(response.text.contains(#"This name \"undefined\" is already in use."#))
    }

    @Test func malformedJSONIsRefusedByTheBodyParserFirst() throws {
        let response = try sim.send(
            "POST", "/instance/create", headers: [("Content-Type", "application/json")], body: Data("{nope".utf8))
        #expect(response.status == 400)
        let body = try response.jsonObject()
        #expect(body["error"] as? String == "Internal Server Error")
        #expect((body["response"] as? [String: Any])?["message"] is String)
    }

    // MARK: - §3: create

    @Test func createAnswers201WithTheDocumentedShape() throws {
        let body = try create("t1")
        #expect(
            Array(body.keys).sorted() == [
                "hash", "instance", "nats", "qrcode", "rabbitmq", "settings", "sqs", "webhook", "websocket",
            ])
        let instance = try #require(body["instance"] as? [String: Any])
        #expect(instance["instanceName"] as? String == "t1")
        #expect(instance["integration"] as? String == "WHATSAPP-BAILEYS")
        #expect(instance["status"] as? String == "connecting")
        #expect(instance["webhookWaBusiness"] is NSNull)
        #expect(instance["accessTokenWaBusiness"] as? String == "")
        #expect((body["hash"] as? String)?.count == 36)
        #expect((body["webhook"] as? [String: Any])?.isEmpty == true)
        #expect((body["websocket"] as? [String: Any])?.isEmpty == true)
        let qrcode = try #require(body["qrcode"] as? [String: Any])
        #expect(qrcode["count"] as? Int == 1)
        #expect(qrcode["pairingCode"] is NSNull)
        #expect((qrcode["base64"] as? String)?.hasPrefix("data:image/png;base64,iVBORw0KGgo") == true)
        let settings = try #require(body["settings"] as? [String: Any])
        #expect(settings["rejectCall"] as? Bool == false)
        #expect(settings["msgCall"] as? String == "")
    }

    @Test func createWithoutQRCodeHasNoQRCodeAndStaysClosed() throws {
        let body = try create("t1", qrcode: false)
        #expect(body["qrcode"] == nil)
        #expect((body["instance"] as? [String: Any])?["status"] as? String == "close")
    }

    @Test func createCanAnswerCountZeroBeforeTheQRCodeArrives() throws {
        try sim.updateSettings(#"{"qrPendingAnswers":1}"#)
        let body = try create("t1")
        #expect((body["qrcode"] as? [String: Any])?.count == 1)
        #expect((body["qrcode"] as? [String: Any])?["count"] as? Int == 0)
    }

    // MARK: - §4: connect

    @Test func connectAnswersCountZeroThenTheQRObject() throws {
        try sim.updateSettings(#"{"qrPendingAnswers":2}"#)
        try create("t1")
        #expect(try sim.sendWithKey("GET", "/instance/connect/t1").text == #"{"count":0}"#)
        let response = try sim.sendWithKey("GET", "/instance/connect/t1")
        #expect(response.status == 200)
        let body = try response.jsonObject()
        #expect(Array(body.keys).sorted() == ["base64", "code", "count", "pairingCode"])
        #expect(body["count"] as? Int == 1)
    }

    @Test func connectOfAnOpenInstanceAnswersTheStateShape() throws {
        try create("t1")
        try sim.scan(instance: "t1")
        let response = try sim.sendWithKey("GET", "/instance/connect/t1")
        #expect(response.status == 200)
        #expect(response.text == #"{"instance":{"instanceName":"t1","state":"open"}}"#)
    }

    @Test func connectWithANumberShowsAPairingCode() throws {
        try create("t1", qrcode: false)
        let body = try sim.sendWithKey("GET", "/instance/connect/t1?number=5511999999999").jsonObject()
        #expect((body["pairingCode"] as? String)?.count == 8)
    }

    @Test func afterALogoutConnectAnswersTheStaleQRCodeFirst() throws {
        try create("t1")
        try sim.scan(instance: "t1")
        #expect(try sim.sendWithKey("DELETE", "/instance/logout/t1").status == 200)
        try sim.updateSettings(#"{"qrPendingAnswers":1}"#)
        let stale = try sim.sendWithKey("GET", "/instance/connect/t1").jsonObject()
        #expect(stale["count"] as? Int == 1)
        let fresh = try sim.sendWithKey("GET", "/instance/connect/t1").jsonObject()
        #expect(fresh["count"] as? Int == 2)
        #expect(fresh["code"] as? String != stale["code"] as? String)
    }

    // MARK: - §5: the other instance routes

    @Test func connectionStateAnswersTheInstanceShape() throws {
        try create("t1")
        #expect(
            try sim.sendWithKey("GET", "/instance/connectionState/t1").text
                == #"{"instance":{"instanceName":"t1","state":"connecting"}}"#)
    }

    @Test func logoutAnswersSuccessThen400WhenNotConnected() throws {
        try create("t1")
        try sim.scan(instance: "t1")
        let first = try sim.sendWithKey("DELETE", "/instance/logout/t1")
        #expect(first.status == 200)
        #expect(first.text == #"{"status":"SUCCESS","error":false,"response":{"message":"Instance logged out"}}"#)
        let second = try sim.sendWithKey("DELETE", "/instance/logout/t1")
        #expect(second.status == 400)
        #expect(
            second.text
                == Self.envelope(400, "Bad Request", #"["The \"t1\" instance is not connected"]"#)
        )
    }

    @Test func deleteNeedsNoLogoutAndAnswersSuccess() throws {
        try create("t1")
        try sim.scan(instance: "t1")
        let response = try sim.sendWithKey("DELETE", "/instance/delete/t1")
        #expect(response.status == 200)
        #expect(response.text == #"{"status":"SUCCESS","error":false,"response":{"message":"Instance deleted"}}"#)
        #expect(try sim.sendWithKey("GET", "/instance/connectionState/t1").status == 404)
    }

    @Test func deleteAnswersBeforeCleanUpSoTheNameIsInUseForAWhile() throws {
        try sim.updateSettings(#"{"deleteCleanupMs":300}"#)
        try create("t1")
        #expect(try sim.sendWithKey("DELETE", "/instance/delete/t1").status == 200)
        let body = #"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS"}"#
        #expect(try sim.sendWithKey("POST", "/instance/create", json: body).status == 403)
        try Wait.until("the clean-up frees the name", timeoutSeconds: 5) {
            try sim.sendWithKey("POST", "/instance/create", json: body).status == 201
        }
    }

    @Test func restartIsPostOnlyAndFailsWith200OnAClosedInstance() throws {
        try create("t1", qrcode: false)
        #expect(try sim.sendWithKey("PUT", "/instance/restart/t1").status == 404)
        let response = try sim.sendWithKey("POST", "/instance/restart/t1")
        #expect(response.status == 200)
        #expect(response.text == #"{"error":true,"message":"[object Object]"}"#)
    }

    @Test func fetchInstancesAnswersDatabaseRows() throws {
        try create("t1")
        try create("t2", qrcode: false)
        let rows = try #require(
            try JSONSerialization.jsonObject(with: try sim.sendWithKey("GET", "/instance/fetchInstances").body)
                as? [[String: Any]])
        #expect(rows.compactMap { $0["name"] as? String } == ["t1", "t2"])
        let row = rows[0]
        for key in ["id", "name", "connectionStatus", "ownerJid", "token", "clientName", "Setting", "_count"] {
            #expect(row[key] != nil, "missing \(key)")
        }
        // The database lags: connecting live, but the first QR code already moved it to connecting; t2 is close.
        #expect(rows[1]["connectionStatus"] as? String == "close")
        let missing = try sim.sendWithKey("GET", "/instance/fetchInstances?instanceName=ghost")
        #expect(missing.status == 404)
        #expect(
            missing.text
                == Self.envelope(404, "Not Found", #"["Instance \"ghost\" not found"]"#))
    }

    // MARK: - §7: QR code timing

    @Test func anAutomaticScanOpensTheInstance() throws {
        try sim.updateSettings(#"{"autoScanSeconds":0}"#)
        try create("t1")
        try Wait.until("the automatic scan opens t1", timeoutSeconds: 5) {
            try sim.sendWithKey("GET", "/instance/connectionState/t1").text.contains(#""state":"open""#)
        }
    }

    // MARK: - The control API

    @Test func theCallLogHoldsMethodPathInstanceAndTimeButNoKey() throws {
        try create("t1")
        _ = try sim.send("GET", "/instance/connectionState/t1?apikey=\(sim.apiKey)", headers: [("apikey", sim.apiKey)])
        let log = try sim.callLog()
        let last = try #require(log.last)
        #expect(last["method"] as? String == "GET")
        #expect(last["path"] as? String == "/instance/connectionState/t1")
        #expect(last["instance"] as? String == "t1")
        #expect(last["route"] as? String == "connectionState")
        #expect(last["time"] is String)
        let text = try sim.send("GET", "/_sim/calls").text
        #expect(!text.contains(sim.apiKey))
    }

    @Test func resetForgetsEverything() throws {
        try create("t1")
        try sim.reset()
        #expect(try sim.sendWithKey("GET", "/instance/connectionState/t1").status == 404)
        #expect(try sim.callLog().count == 1)
    }

    @Test func theSettingsNeverShowTheKey() throws {
        let text = try sim.send("GET", "/_sim/settings").text
        #expect(text.contains("qrPendingAnswers"))
        #expect(!text.contains(sim.apiKey))
    }
}
