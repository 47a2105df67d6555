import Foundation
import Testing

/// Connect by phone number (issue #13): `{"number":"5511999999999"}` asks Evolution (the simulator) for a pairing
/// code, through nginx, the responder and PostgreSQL. A malformed number is refused touching nothing; the number
/// reaches Evolution only (create's `number`, `/instance/connect/{name}?number=`) and never a log, a row or an audit
/// record of ours.
@Suite("WhatsApp connect with a pairing code", .serialized)
final class WhatsAppPairingCodeTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private static let number = "5511987654321"
    private static let json = #"{"number":"5511987654321"}"#
    private static let createdMessage =
        "Instância WhatsApp criada com sucesso. Digite o código de pareamento no WhatsApp do celular para conectar."
    private static let reusedMessage =
        "Instância WhatsApp existente. Digite o código de pareamento no WhatsApp do celular para conectar."
    private static let pendingMessage =
        "Instância WhatsApp pronta, mas o código de pareamento ainda não foi gerado. Chame connect novamente em alguns "
        + "segundos."
    private let sim: TestEvolutionSim
    private let tenant = TestWhatsAppStack.newTenantID("pair")
    private var name: String { TestWhatsAppStack.instanceName(of: tenant) }

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    /// `ABCD-EFGH`: two groups of four upper-case letters or digits.
    private static func isPairingCode(_ value: Any?) -> Bool {
        guard let code = value as? String else { return false }
        return code.range(of: "^[A-Z0-9]{4}-[A-Z0-9]{4}$", options: .regularExpression) != nil
    }

    /// The simulator's access-log URIs of `/instance/connect/{name}`, in order (the simulator stands in for
    /// Evolution, whose own log holds the query).
    private func connectURIs() throws -> [String] {
        try sim.accessLog().compactMap { $0["uri"] as? String }.filter { $0.hasPrefix("/instance/connect/\(name)") }
    }

    /// Expects no trace of the number in what this service keeps: logs, the tenant's row, its audit rows.
    private func expectTheNumberKeptNowhere(_ stack: TestWhatsAppStack) throws {
        let logs = stack.allLogText()
        #expect(!logs.contains(Self.number) && !logs.contains(String(Self.number.dropLast(4))))
        #expect(try !(stack.tenantRowText(tenant) ?? "").contains(String(Self.number.dropLast(4))))
        let audit = try JSONSerialization.data(withJSONObject: stack.auditRows(tenant: tenant))
        #expect(!String(decoding: audit, as: UTF8.self).contains(String(Self.number.dropLast(4))))
    }

    @Test func aNewInstanceAnswers201WithAPairingCodeAndTheScanConnectsIt() throws {
        let stack = try TestWhatsAppStack.start(sim: sim, label: "pair_new")
        defer { stack.stop() }
        try stack.insertTenant(tenant)

        let response = try stack.connect(tenant: tenant, json: Self.json)

        #expect(response.status == 201, "\(response.text)")
        let body = try response.jsonObject()
        #expect(
            Array(body.keys).sorted() == ["data", "instanceName", "message", "pairingCode", "qrcode", "success"])
        #expect(Self.isPairingCode(body["pairingCode"]), "\(body["pairingCode"] ?? "missing")")
        #expect(WhatsAppExpectations.pngBytes(ofDataURL: body["qrcode"]) != nil)
        #expect(body["instanceName"] as? String == name)
        #expect(body["message"] as? String == Self.createdMessage)
        // Evolution got the number at create (its row keeps it, as Evolution's database does).
        let fetched = try sim.sendWithKey("GET", "/instance/fetchInstances?instanceName=\(name)")
        let rows = try JSONSerialization.jsonObject(with: fetched.body) as? [[String: Any]] ?? []
        #expect(rows.first?["number"] as? String == Self.number)
        #expect(try stack.storedInstanceName(of: tenant) == name)
        #expect(try stack.auditRows(tenant: tenant).last?["outcome"] as? String == "created")

        // The phone enters the code: the same "scan" completes it.
        try sim.scan(instance: name)
        let status = try stack.status(tenant: tenant).jsonObject()
        #expect(status["connected"] as? Bool == true)

        // The request's log line shows the last four digits at most.
        let requestID = try #require(response.headers["x-request-id"])
        let line = try stack.responderLogLine(requestID: requestID)
        #expect(line["pairingNumber"] as? String == "…4321")
        try expectTheNumberKeptNowhere(stack)
    }

    @Test func aStoredInstanceShowingAQRCodeIsRestartedForTheNumberWithAFreshCodeEachTime() throws {
        let stack = try TestWhatsAppStack.start(sim: sim, label: "pair_reuse")
        defer { stack.stop() }
        try stack.insertTenant(tenant)
        // First the QR code (the page's default), then "Conectar com número de telefone".
        let qr = try stack.connect(tenant: tenant)
        #expect(qr.status == 201)
        #expect(try qr.jsonObject()["pairingCode"] == nil, "no pairingCode member without a number")

        let first = try stack.connect(tenant: tenant, json: Self.json)
        #expect(first.status == 200, "\(first.text)")
        let firstBody = try first.jsonObject()
        #expect(Self.isPairingCode(firstBody["pairingCode"]))
        #expect(firstBody["message"] as? String == Self.reusedMessage)
        let second = try stack.connect(tenant: tenant, json: Self.json)
        #expect(second.status == 200, "\(second.text)")
        let secondCode = try second.jsonObject()["pairingCode"]
        #expect(Self.isPairingCode(secondCode))
        #expect(secondCode as? String != firstBody["pairingCode"] as? String, "a fresh code per connect")

        // Each pairing connect logged the QR-mode (or older) socket out, then asked with `?number=`.
        #expect(try sim.calls(route: "logout", instance: name).count == 2)
        // nginx logs a request once its answer is sent: the line may follow the answer by a moment.
        try Wait.until("the simulator's nginx logged both connects with the number") {
            try connectURIs().filter { $0.hasSuffix("?number=\(Self.number)") }.count == 2
        }
        #expect(try stack.storedInstanceName(of: tenant) == name)
        let outcomes = try stack.auditRows(tenant: tenant).filter { $0["action"] as? String == "connect" }
            .compactMap { $0["outcome"] as? String }
        #expect(outcomes == ["created", "reused", "reused"])

        try sim.scan(instance: name)
        #expect(try stack.status(tenant: tenant).jsonObject()["connected"] as? Bool == true)
        // Once connected, a pairing request is 409 like a QR one, and logs nothing out.
        let connected = try stack.connect(tenant: tenant, json: Self.json)
        WhatsAppExpectations.expectError(connected, status: 409, code: "already_connected")
        #expect(try sim.calls(route: "logout", instance: name).count == 2)
        try expectTheNumberKeptNowhere(stack)
    }

    @Test func aCodeThatIsNotReadyAnswers202WithRetryAfterAndTheNextConnectGetsIt() throws {
        let stack = try TestWhatsAppStack.start(
            sim: sim, label: "pair_late", environment: ["EVOLUTION_QR_WAIT_MS": "1200"])
        defer { stack.stop() }
        try stack.insertTenant(tenant)
        try sim.updateSettings(#"{"qrPendingAnswers":1000}"#)

        let pending = try stack.connect(tenant: tenant, json: Self.json)

        #expect(pending.status == 202, "\(pending.text)")
        #expect(pending.headers["retry-after"] == "3")
        let body = try pending.jsonObject()
        #expect(WhatsAppExpectations.isNull(body["qrcode"]))
        #expect(WhatsAppExpectations.isNull(body["pairingCode"]), "pairingCode is null: \(body)")
        #expect(body["message"] as? String == Self.pendingMessage)
        #expect(try stack.auditRows(tenant: tenant).last?["outcome"] as? String == "qr_pending")

        // The code arrives; the frontend calls connect again with the number.
        try sim.updateSettings(#"{"qrPendingAnswers":0}"#)
        let ready = try stack.connect(tenant: tenant, json: Self.json)
        #expect(ready.status == 200, "\(ready.text)")
        #expect(Self.isPairingCode(try ready.jsonObject()["pairingCode"]))
        #expect(try sim.calls(route: "create").count == 1)
    }

    @Test(arguments: [
        #"{"number":"+5511987654321"}"#, #"{"number":"55 11 98765 4321"}"#, #"{"number":"55-11-98765-4321"}"#,
        #"{"number":"(55)11987654321"}"#, #"{"number":"987654321"}"#, #"{"number":"5511987654321000"}"#,
        #"{"number":5511987654321}"#, #"{"number":null}"#,
    ])
    func aMalformedNumberIs400InvalidNumberTouchingNeitherPostgresNorEvolution(json: String) throws {
        let stack = try TestWhatsAppStack.start(sim: sim, label: "pair_bad")
        defer { stack.stop() }
        try stack.insertTenant(tenant)
        let rowBefore = try stack.tenantRowText(tenant)

        let response = try stack.connect(tenant: tenant, json: json)

        WhatsAppExpectations.expectError(response, status: 400, code: "invalid_number")
        #expect(try stack.tenantRowText(tenant) == rowBefore)
        #expect(try stack.auditRows(tenant: tenant).isEmpty)
        #expect(try sim.callLog().isEmpty, "Evolution was not called")
        #expect(!response.text.contains("987654321"), "the answer does not echo the number")
    }

    @Test func withWebhooksAPairingCodeIsStillAskedOfEvolution() throws {
        let stack = try TestWhatsAppStack.start(sim: sim, label: "pair_hooks", webhooks: true)
        defer { stack.stop() }
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        // A QR code pushed by the webhook is in PostgreSQL (one pushed once the name is stored: the create's own
        // may arrive before); a pairing request does not answer it.
        try sim.rotateQRCode(instance: name)
        try Wait.until("the QR code is pushed") {
            try stack.tenantRow(tenant)?["whatsapp_qr_code"] is String
        }

        let response = try stack.connect(tenant: tenant, json: Self.json)

        #expect(response.status == 200, "\(response.text)")
        #expect(Self.isPairingCode(try response.jsonObject()["pairingCode"]))
        try Wait.until("the simulator's nginx logged the connect with the number") {
            try connectURIs().contains { $0.hasSuffix("?number=\(Self.number)") }
        }
        try expectTheNumberKeptNowhere(stack)
    }
}
