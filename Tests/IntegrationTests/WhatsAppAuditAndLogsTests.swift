import Foundation
import Testing

/// The audit trail (one append-only row per connect, disconnect and observed state change, joined to the logs by
/// the request id) and the logs (security case F58: no bearer token, Evolution key, JWT secret or instance token,
/// not even at debug level).
@Suite("WhatsApp audit trail and logs", .serialized)
final class WhatsAppAuditAndLogsTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let tenant = TestWhatsAppStack.newTenantID("audit")
    private var name: String { TestWhatsAppStack.instanceName(of: tenant) }

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "audit", environment: ["LOG_LEVEL": "debug"])
        try stack.insertTenant(tenant)
    }

    deinit {
        stack.stop()
    }

    /// The request id of `response`, which must have the status `expected`.
    private func requestID(
        _ response: TestHTTPResponse, _ expected: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        #expect(response.status == expected, "\(response.text)", sourceLocation: sourceLocation)
        return try #require(response.headers["x-request-id"], sourceLocation: sourceLocation)
    }

    @Test func everyConnectDisconnectAndObservedStateChangeLeavesOneRow() throws {
        let created = try requestID(try stack.connect(tenant: tenant), 201)
        let reused = try requestID(try stack.connect(tenant: tenant), 200)
        try sim.scan(instance: name)
        let sawOpen = try requestID(try stack.status(tenant: tenant), 200)
        let sawOpenAgain = try requestID(try stack.status(tenant: tenant), 200)
        let alreadyConnected = try requestID(try stack.connect(tenant: tenant), 409)
        let disconnected = try requestID(try stack.disconnect(tenant: tenant), 200)

        let rows = try stack.auditRows(tenant: tenant)
        let actions = rows.filter { $0["action"] as? String != "state_change" }.map {
            "\($0["action"] ?? "") \($0["outcome"] ?? "") \($0["request_id"] ?? "")"
        }
        #expect(
            actions == [
                "connect created \(created)", "connect reused \(reused)",
                "connect already_connected \(alreadyConnected)", "disconnect disconnected \(disconnected)",
            ])
        let stateChanges = rows.filter { $0["action"] as? String == "state_change" }
        #expect(
            stateChanges.filter { $0["request_id"] as? String == sawOpen }.map { $0["outcome"] as? String } == ["open"])
        #expect(stateChanges.filter { $0["request_id"] as? String == sawOpenAgain }.isEmpty, "open is no longer new")
        for row in rows {
            #expect(row["tenant_id"] as? String == tenant)
            #expect(row["instance_name"] as? String == name, "\(row)")
            #expect(row["occurred_at"] is String)
            #expect(((row["duration_ms"] as? Int) ?? -1) >= 0, "\(row)")
            // Only a refusal (409 already_connected) may carry an error code: every other one of these succeeded.
            if row["outcome"] as? String != "already_connected" {
                #expect(WhatsAppExpectations.isNull(row["error_code"]), "a success has no error code: \(row)")
            }
        }
    }

    @Test func aFailedConnectLeavesAFailedRowWithItsErrorCode() throws {
        try sim.inject(#"{"route":"*","status":500,"times":1000}"#)
        let failed = try requestID(try stack.connect(tenant: tenant), 502)
        let rows = try stack.auditRows(tenant: tenant)
        #expect(rows.count == 1)
        #expect(rows.first?["action"] as? String == "connect")
        #expect(rows.first?["outcome"] as? String == "failed")
        #expect(rows.first?["error_code"] as? String == "upstream_error")
        #expect(rows.first?["request_id"] as? String == failed)
    }

    @Test func adoptingAnOrphanAndDisconnectingAGoneInstanceAreAuditedAsSuch() throws {
        try sim.createInstance(named: name)
        let adopted = try requestID(try stack.connect(tenant: tenant), 200)
        #expect(try sim.sendWithKey("DELETE", "/instance/delete/\(name)").status == 200)
        let alreadyGone = try requestID(try stack.disconnect(tenant: tenant), 200)

        let rows = try stack.auditRows(tenant: tenant).filter { $0["action"] as? String != "state_change" }
        #expect(
            rows.map { "\($0["action"] ?? "") \($0["outcome"] ?? "") \($0["request_id"] ?? "")" } == [
                "connect adopted \(adopted)", "disconnect already_gone \(alreadyGone)",
            ])
    }

    @Test func theAuditTrailRefusesUpdateDeleteAndTruncate() throws {
        #expect(try stack.connect(tenant: tenant).status == 201)
        let trail = "SELECT json_agg(a ORDER BY id)::text FROM whatsapp_audit a"
        let before = try stack.psql(trail)
        #expect(before != "")

        for statement in [
            "UPDATE whatsapp_audit SET outcome = 'tampered'", "DELETE FROM whatsapp_audit",
            "TRUNCATE whatsapp_audit",
        ] {
            let result = try stack.psqlResult(statement)
            #expect(!result.succeeded, "\(statement) was allowed")
        }
        #expect(try stack.psql(trail) == before)
        // The control: the same psql invocation runs a statement the table allows.
        #expect(try stack.psqlResult("SELECT count(*) FROM whatsapp_audit").succeeded)
    }

    @Test func noLogHoldsABearerTokenTheEvolutionKeyTheJWTSecretOrAnInstanceToken() throws {
        let token = TestWhatsAppStack.token(for: tenant)
        let foreignToken = TestTokens.token(payload: TestTokens.claims(tenantID: "someone-else"))
        var requestIDs: [String] = []
        requestIDs.append(try requestID(try stack.connect(tenant: tenant, token: token), 201))
        let instanceToken = try #require(try sim.instanceToken(of: name))
        requestIDs.append(try requestID(try stack.status(tenant: tenant, token: token), 200))
        requestIDs.append(try requestID(try stack.connect(tenant: tenant, token: foreignToken), 403))
        try sim.inject(#"{"route":"connectionState","status":500}"#)
        requestIDs.append(try requestID(try stack.status(tenant: tenant, token: token), 502))
        requestIDs.append(try requestID(try stack.disconnect(tenant: tenant, token: token), 200))
        for id in requestIDs { _ = try stack.responderLogLine(requestID: id) }

        let ours = stack.allLogText()
        let all = ours + "\n" + sim.allLogText()
        // The control: these are the logs of these requests.
        for id in requestIDs { #expect(ours.contains(id), "request \(id) is in the responder and nginx logs") }
        for (label, secret) in [
            ("bearer token", token), ("foreign bearer token", foreignToken),
            ("bearer token signature", String(token.split(separator: ".")[2])),
            ("Evolution API key", sim.apiKey), ("JWT secret", TestTokens.secret),
        ] {
            #expect(!all.contains(secret), "a log holds the \(label)")
        }
        #expect(!ours.contains(instanceToken), "a log holds the instance token")
    }
}
