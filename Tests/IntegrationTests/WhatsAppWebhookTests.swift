import Foundation
import Runtime
import Testing

/// `POST /api/evolution/webhook` through nginx (issue 10): only Evolution's `jwt_key` tokens get in, each event is
/// recorded as a status check would, replays and late deliveries change nothing, and status and connect answer
/// from what was pushed. The deliveries here are posted by the test itself, for tenants whose rows it wrote, so
/// nothing else delivers to them.
@Suite("Evolution webhooks", .serialized)
final class WhatsAppWebhookTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "webhook", webhooks: true)
    }

    deinit {
        stack.stop()
    }

    // MARK: - Who may deliver

    static let header = #"{"alg":"HS256","typ":"JWT"}"#

    static func evolutionClaims(iat: Int = TestTokens.now, exp: Int? = nil, app: String = "evolution") -> String {
        #"{"iat":\#(iat),"exp":\#(exp ?? iat + 600),"app":"\#(app)","action":"webhook"}"#
    }

    /// The token Evolution 2.3 makes from `jwt_key`.
    static func evolutionToken() -> String {
        TestTokens.token(header: header, payload: evolutionClaims(), secret: TestWhatsAppStack.webhookSecret)
    }

    enum ForgedToken: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case none, otherSecret, expired, algNone, otherApp, userToken

        var testDescription: String { rawValue }

        var authorization: String? {
            let secret = TestWhatsAppStack.webhookSecret
            switch self {
            case .none: return nil
            case .otherSecret:
                return "Bearer "
                    + TestTokens.token(
                        header: header, payload: evolutionClaims(), secret: "another-secret-0123456789abcdef-xyz")
            case .expired:
                let iat = TestTokens.now - 3600
                return "Bearer "
                    + TestTokens.token(header: header, payload: evolutionClaims(iat: iat), secret: secret)
            case .algNone:
                let unsigned =
                    TestTokens.encode(#"{"alg":"none","typ":"JWT"}"#) + "." + TestTokens.encode(evolutionClaims())
                return "Bearer " + unsigned + "."
            case .otherApp:
                return "Bearer "
                    + TestTokens.token(header: header, payload: evolutionClaims(app: "someone"), secret: secret)
            case .userToken:
                return "Bearer " + TestWhatsAppStack.token(for: "t1")
            }
        }
    }

    @Test(arguments: ForgedToken.allCases)
    func aDeliveryWithoutEvolutionsTokenIsRefused401AndChangesNothing(token: ForgedToken) throws {
        let tenant = try storedTenant("forged", status: "connecting")
        let before = try stack.tenantRowText(tenant.id)
        let response = try deliver(
            event: "connection.update", instance: tenant.name, data: #"{"state":"open","statusReason":200}"#,
            authorization: token.authorization)
        WhatsAppExpectations.expectError(
            response, status: 401,
            code: token == .none ? "missing_token" : (token == .expired ? "token_expired" : "invalid_token"))
        #expect(try stack.tenantRowText(tenant.id) == before)
        #expect(try stack.auditRows(tenant: tenant.id).isEmpty)
    }

    // MARK: - What each event records

    @Test func connectionUpdateRecordsTheStateWithOneAuditRowAndStatusAnswersIt() throws {
        let tenant = try storedTenant("open", status: "connecting")
        let response = try deliver(
            event: "connection.update", instance: tenant.name, data: #"{"state":"open","statusReason":200}"#)
        #expect(response.status == 200, "\(response.text)")
        #expect(try stack.tenantRow(tenant.id)?["whatsapp_status"] as? String == "open")

        let status = try stack.status(tenant: tenant.id)
        #expect(try status.jsonObject()["status"] as? String == "open")
        #expect(try sim.calls(route: "connectionState", instance: tenant.name).isEmpty)
        let rows = try stack.auditRows(tenant: tenant.id)
        #expect(rows.map { $0["outcome"] as? String } == ["open"])
    }

    @Test func aRepeatedAndALateDeliveryChangeNothing() throws {
        let tenant = try storedTenant("order", status: "connecting")
        let open = #"{"state":"open","statusReason":200}"#
        let later = TestWebhookSender.reading(TestWebhookSender.shifted(.now(), by: 2))
        let earlier = TestWebhookSender.reading(TestWebhookSender.shifted(.now(), by: 1))
        #expect(try deliver(event: "connection.update", instance: tenant.name, data: open, at: later).status == 200)
        let afterFirst = try stack.tenantRowText(tenant.id)
        #expect(try deliver(event: "connection.update", instance: tenant.name, data: open, at: later).status == 200)
        let late = #"{"state":"connecting","statusReason":200}"#
        #expect(try deliver(event: "connection.update", instance: tenant.name, data: late, at: earlier).status == 200)

        let row = try #require(try stack.tenantRow(tenant.id))
        #expect(row["whatsapp_status"] as? String == "open")
        #expect(try stack.auditRows(tenant: tenant.id).count == 1)
        // Only the check time may move on a replay; the state, the event time and when it opened stay.
        let first = try #require(try afterFirst.map { try Self.object($0) })
        for column in ["whatsapp_status", "whatsapp_event_at", "whatsapp_connected_at", "whatsapp_instance_name"] {
            #expect("\(row[column] ?? "nil")" == "\(first[column] ?? "nil")", "\(column)")
        }
    }

    @Test func removeInstanceForgetsTheStoredName() throws {
        let tenant = try storedTenant("remove", status: "open")
        #expect(try deliver(event: "remove.instance", instance: tenant.name, data: "null").status == 200)
        #expect(try stack.storedInstanceName(of: tenant.id) == nil)
        #expect(try stack.auditRows(tenant: tenant.id).map { $0["outcome"] as? String } == ["instance_gone"])
    }

    @Test func logoutAndTheQRCodeLimitRecordClose() throws {
        let tenant = try storedTenant("limit", status: "connecting")
        #expect(try deliver(event: "qrcode.updated", instance: tenant.name, data: Self.qrData).status == 200)
        let limit = #"{"message":"QR code limit reached, please login again","statusCode":500}"#
        #expect(try deliver(event: "qrcode.updated", instance: tenant.name, data: limit).status == 200)
        let row = try #require(try stack.tenantRow(tenant.id))
        #expect(row["whatsapp_status"] as? String == "close")
        #expect(row["whatsapp_qr_code"] is NSNull)

        let other = try storedTenant("logout", status: "open")
        #expect(try deliver(event: "logout.instance", instance: other.name, data: "null").status == 200)
        #expect(try stack.tenantRow(other.id)?["whatsapp_status"] as? String == "close")
    }

    @Test func connectAnswersAPushedQRCodeWithoutAskingEvolution() throws {
        let tenant = try storedTenant("qr", status: "connecting")
        #expect(try deliver(event: "qrcode.updated", instance: tenant.name, data: Self.qrData).status == 200)

        let response = try stack.connect(tenant: tenant.id)
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.jsonObject()["qrcode"] as? String == Self.qrDataURL)
        #expect(try sim.routesCalled(instance: tenant.name).isEmpty)
    }

    @Test func anInstanceNoTenantHasIsIgnoredAndAMalformedBodyIs400() throws {
        let ignored = try deliver(
            event: "connection.update", instance: "tenant_nobody-here", data: #"{"state":"open"}"#)
        #expect(ignored.status == 200)
        #expect(
            try deliver(event: "connection.update", instance: "someone-else", data: #"{"state":"open"}"#).status == 200)
        let malformed = try stack.nginx.send(
            "POST", "/api/evolution/webhook",
            headers: [("Authorization", "Bearer " + Self.evolutionToken()), ("Content-Type", "application/json")],
            body: Data("{\"event\":".utf8))
        WhatsAppExpectations.expectError(malformed, status: 400, code: "invalid_body")
    }

    // MARK: - Helpers

    static let qrDataURL =
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
    static let qrData = #"{"qrcode":{"instance":"x","pairingCode":null,"code":"2@abc","base64":"\#(qrDataURL)"}}"#

    private struct Tenant {
        let id: String
        let name: String
    }

    /// A tenant whose instance row the test writes itself (the simulator knows nothing of it).
    private func storedTenant(_ prefix: String, status: String) throws -> Tenant {
        let id = TestWhatsAppStack.newTenantID(prefix)
        let name = TestWhatsAppStack.instanceName(of: id)
        try stack.psql(
            """
            INSERT INTO tenants (id, whatsapp_instance_name, whatsapp_status, whatsapp_instance_created_at,
                whatsapp_checked_at)
            VALUES ('\(id)', '\(name)', '\(status)', now(), now() - interval '1 hour')
            """)
        return Tenant(id: id, name: name)
    }

    private func deliver(
        event: String, instance: String, data: String, at time: String? = nil,
        authorization: String? = "Bearer " + WhatsAppWebhookTests.evolutionToken()
    ) throws -> TestHTTPResponse {
        let dateTime = time ?? Self.isoNow()
        let body =
            #"{"event":"\#(event)","instance":"\#(instance)","data":\#(data),"destination":"x","#
            + #""date_time":"\#(dateTime)","server_url":"http://evolution","apikey":null}"#
        var headers = [("Content-Type", "application/json")]
        if let authorization { headers.append(("Authorization", authorization)) }
        return try stack.nginx.send("POST", "/api/evolution/webhook", headers: headers, body: Data(body.utf8))
    }

    private static func isoNow() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    private static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
