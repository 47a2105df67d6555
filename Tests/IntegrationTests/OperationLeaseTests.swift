import Foundation
import Testing

/// The tenant's operation lease through the real stack (issue 21, item 5): short (10 s), renewed while a connect
/// runs, so a responder killed mid-connect locks its tenant out for no longer than that, a connect held upstream
/// longer than the lease keeps it, and a connect whose lease was taken over stops before it writes anything.
@Suite("Operation leases", .serialized)
final class OperationLeaseTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    @Test func aResponderKilledMidConnectLocksItsTenantOutForAtMostTheLeaseAndTheNextConnectAdoptsTheInstance() throws {
        // The product's own deadlines: a connect may take 50 s (a 20 s QR wait and three 10 s calls).
        let environment = ["EVOLUTION_TIMEOUT_MS": "10000", "EVOLUTION_QR_WAIT_MS": "20000"]
        let stack = try TestWhatsAppStack.start(sim: sim, label: "leasekill", environment: environment)
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("kill")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        // The create goes through upstream at once, and its answer is held back: the responder dies waiting for it.
        try sim.inject(#"{"route":"create","kind":"passthrough","delayMs":30000}"#)

        let interrupted = Background { try stack.connect(tenant: tenant) }
        try Wait.until("the instance is created upstream") { try self.sim.instanceExists(name) }
        #expect(try stack.psql("SELECT operation_owner IS NOT NULL FROM tenants WHERE id = '\(tenant)'") == "t")
        stack.responders[0].killHard()
        let killedAt = ContinuousClock.now
        WhatsAppExpectations.expectError(try interrupted.value(), status: 503, code: "responder_unavailable")

        // The killed process left its socket file: remove it, so that waiting for the file waits for the new one.
        try FileManager.default.removeItem(atPath: stack.responders[0].socketPath)
        let replacement = try TestResponder.start(
            in: stack.directory, environment: stack.responderEnvironment, name: "fcgi1")
        defer { replacement.terminate() }
        var answers: [Int] = []
        var final: TestHTTPResponse?
        try? Wait.until("a connect is no longer refused as in progress", timeoutSeconds: 12, pollMilliseconds: 250) {
            let response = try stack.connect(tenant: tenant)
            answers.append(response.status)
            final = response
            return response.status != 409
        }
        let elapsed = ContinuousClock.now - killedAt

        // The killed request's instance is adopted, not created again, and nothing is left upstream without a row.
        #expect(final?.status == 200, "\(final?.text ?? "no answer") after \(answers)")
        #expect(elapsed < .seconds(12), "answered after \(elapsed)")
        #expect(try stack.storedInstanceName(of: tenant) == name)
        #expect(try sim.instanceNames() == [name])
        let connects = try stack.auditRows(tenant: tenant).filter { $0["action"] as? String == "connect" }
        #expect(connects.last?["outcome"] as? String == "adopted")
        print(
            "operation leases: a connect killed mid-create; the next one adopted its instance \(elapsed) after the kill"
        )
    }

    @Test func aConnectHeldUpstreamLongerThanTheLeaseKeepsRenewingItAndOthersWait() throws {
        let stack = try TestWhatsAppStack.start(
            sim: sim, label: "leaselong", environment: ["EVOLUTION_TIMEOUT_MS": "20000"])
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("long")
        try stack.insertTenant(tenant)
        try sim.inject(#"{"route":"create","kind":"passthrough","delayMs":13000}"#)

        let first = Background { try stack.connect(tenant: tenant) }
        try Wait.until("the create is upstream") { try !self.sim.calls(route: "create").isEmpty }
        let row = "FROM tenants WHERE id = '\(tenant)'"
        let owner = try stack.psql("SELECT operation_owner \(row)")
        let firstExpiry = try stack.psql("SELECT operation_expires_at \(row)")
        #expect(try stack.psql("SELECT operation_expires_at <= now() + interval '10 seconds' \(row)") == "t")

        // A second past the lease's first term, on PostgreSQL's clock: still the first connect's, and still short.
        try Wait.until("the lease's first term is over", timeoutSeconds: 15, pollMilliseconds: 100) {
            try stack.psql("SELECT now() > '\(firstExpiry)'::timestamptz + interval '1 second'") == "t"
        }
        #expect(try stack.psql("SELECT operation_owner \(row)") == owner)
        #expect(
            try stack.psql(
                "SELECT operation_expires_at > now() AND operation_expires_at <= now() + interval '10 seconds' \(row)")
                == "t")
        WhatsAppExpectations.expectError(try stack.connect(tenant: tenant), status: 409, code: "operation_in_progress")

        let answer = try first.value()
        #expect(answer.status == 201, "\(answer.text)")
        #expect(try stack.psql("SELECT operation_owner IS NULL \(row)") == "t")
    }

    @Test func aConnectWhoseLeaseWasTakenOverStoresNothingAndTheNextConnectAdoptsItsInstance() throws {
        let stack = try TestWhatsAppStack.start(
            sim: sim, label: "leaselost", environment: ["EVOLUTION_TIMEOUT_MS": "10000"])
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("lost")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        // The create takes 5 s: the lease is renewed 3 s after it was taken.
        try sim.inject(#"{"route":"create","kind":"passthrough","delayMs":5000}"#)

        let connect = Background { try stack.connect(tenant: tenant) }
        try Wait.until("the create is upstream") { try !self.sim.calls(route: "create").isEmpty }
        // Someone else holds the tenant now (as after a lease that ran out and was taken).
        try stack.psql(
            """
            UPDATE tenants SET operation_owner = 'someone-else', operation_expires_at = now() + interval '1 minute'
            WHERE id = '\(tenant)'
            """)
        let answer = try connect.value()

        WhatsAppExpectations.expectError(answer, status: 409, code: "operation_in_progress")
        // The keeper's warning, then the request's own line, which says why it stopped.
        let requestID = answer.headers["x-request-id"] ?? ""
        var lines: [[String: Any]] = []
        try Wait.until("the request is logged") {
            lines = try stack.responders[0].logLines().filter { $0["requestId"] as? String == requestID }
            return lines.contains { $0["status"] != nil }
        }
        #expect(
            lines.contains {
                $0["message"] as? String == "operation lease lost: the operation stops before its next step"
            })
        #expect(lines.first { $0["status"] != nil }?["lease"] as? String == "taken_over", "\(lines)")
        // Nothing written, nothing deleted: the instance waits upstream for whoever holds the tenant.
        #expect(try stack.storedInstanceName(of: tenant) == nil)
        #expect(try stack.psql("SELECT operation_owner FROM tenants WHERE id = '\(tenant)'") == "someone-else")
        #expect(try sim.instanceExists(name))
        #expect(try sim.calls(route: "delete").isEmpty)

        try stack.psql("UPDATE tenants SET operation_owner = NULL, operation_expires_at = NULL WHERE id = '\(tenant)'")
        let next = try stack.connect(tenant: tenant)
        #expect(next.status == 200, "\(next.text)")
        #expect(try stack.storedInstanceName(of: tenant) == name)
        #expect(try sim.instanceNames() == [name])
    }
}
