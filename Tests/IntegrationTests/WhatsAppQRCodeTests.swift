import Foundation
import Testing

/// Connect when Evolution has no QR code yet: it answers `{"count":0}` (Baileys makes the code asynchronously), so
/// connect polls `GET /instance/connect` until the code arrives, or answers 202 with `Retry-After` when it does not
/// arrive within `EVOLUTION_QR_WAIT_MS`, keeping the instance for the next call.
@Suite("WhatsApp connect and the QR code", .serialized)
final class WhatsAppQRCodeTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let tenant = TestWhatsAppStack.newTenantID("qr")
    private var name: String { TestWhatsAppStack.instanceName(of: tenant) }

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    @Test(arguments: [1, 3])
    func aCreateAnsweringCountZeroStillYieldsAQRCode(pendingAnswers: Int) throws {
        let stack = try TestWhatsAppStack.start(sim: sim, label: "qr_pending")
        defer { stack.stop() }
        try stack.insertTenant(tenant)
        // The first `pendingAnswers` QR-bearing answers (the create first) are {"count":0}.
        try sim.updateSettings(#"{"qrPendingAnswers":\#(pendingAnswers)}"#)

        let response = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectConnectAnswer(
            response, status: 201, tenant: tenant, message: WhatsAppExpectations.createdMessage)
        #expect(try sim.calls(route: "create").count == 1)
        // The create used up one pending answer; the polls used up the rest and got the code.
        #expect(try sim.calls(route: "connect", instance: name).count >= pendingAnswers)
        #expect(try stack.storedInstanceName(of: tenant) == name)
    }

    @Test func aQRCodeThatDoesNotArriveInTimeAnswers202WithRetryAfterAndTheNextConnectGetsIt() throws {
        let waitMilliseconds = 1500
        let stack = try TestWhatsAppStack.start(
            sim: sim, label: "qr_late", environment: ["EVOLUTION_QR_WAIT_MS": String(waitMilliseconds)])
        defer { stack.stop() }
        try stack.insertTenant(tenant)
        try sim.updateSettings(#"{"qrPendingAnswers":1000}"#)

        let started = ContinuousClock.now
        let pending = try stack.connect(tenant: tenant)
        let elapsed = ContinuousClock.now - started
        #expect(pending.status == 202, "\(pending.text)")
        #expect(pending.headers["retry-after"] == "3")
        let body = try pending.jsonObject()
        #expect(body["success"] as? Bool == true)
        #expect(body["instanceName"] as? String == name)
        #expect(WhatsAppExpectations.isNull(body["qrcode"]), "qrcode is null: \(body["qrcode"] ?? "missing")")
        #expect((body["message"] as? String)?.isEmpty == false)
        let data = body["data"] as? [String: Any]
        #expect(data?["tenantId"] as? String == tenant)
        #expect(data?["instanceName"] as? String == name)
        #expect(WhatsAppExpectations.isRecentISO(data?["createdAt"]))
        // It waited for the code, polling every 500 ms (the last poll at least one interval before the end of the
        // wait), and then stopped: well before the default wait of 20 s, within five times this one.
        #expect(elapsed >= .milliseconds(waitMilliseconds - 500), "answered after \(elapsed)")
        #expect(elapsed < .milliseconds(waitMilliseconds * 5), "answered after \(elapsed)")
        let polls = try sim.calls(route: "connect", instance: name).count
        #expect((2...8).contains(polls), "\(polls) polls of /instance/connect in \(waitMilliseconds) ms")
        // The instance is kept for the next call.
        #expect(try stack.storedInstanceName(of: tenant) == name)
        #expect(try sim.instanceExists(name))

        // The code arrives; the frontend calls connect again.
        try sim.rotateQRCode(instance: name)
        let ready = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectConnectAnswer(
            ready, status: 200, tenant: tenant, message: WhatsAppExpectations.reusedMessage)
        #expect(try sim.calls(route: "create").count == 1)
        #expect(try sim.calls(route: "delete").isEmpty)
    }

    @Test func aPendingQRCodeIsAuditedAsQRPending() throws {
        let stack = try TestWhatsAppStack.start(
            sim: sim, label: "qr_audit", environment: ["EVOLUTION_QR_WAIT_MS": "600"])
        defer { stack.stop() }
        try stack.insertTenant(tenant)
        try sim.updateSettings(#"{"qrPendingAnswers":1000}"#)

        let pending = try stack.connect(tenant: tenant)
        #expect(pending.status == 202, "\(pending.text)")
        let rows = try stack.auditRows(tenant: tenant).filter { $0["action"] as? String == "connect" }
        #expect(rows.count == 1)
        #expect(rows.first?["outcome"] as? String == "qr_pending")
        #expect(rows.first?["request_id"] as? String == pending.headers["x-request-id"])
    }
}
