import Foundation
import Testing

/// Webhooks end to end (issue 10): the simulator delivers Evolution 2.3's signed events to the stack's nginx, and
/// status and connect answer from what was pushed; with delivery broken, status falls back to asking Evolution.
@Suite("Evolution webhooks end to end", .serialized)
final class WhatsAppWebhookFlowTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(
            sim: sim, label: "pushed", webhooks: true, environment: ["STATUS_MAX_AGE_MS": "60000"])
    }

    deinit {
        stack.stop()
    }

    @Test func aScanShowsUpInStatusWithoutAnyStateCallToEvolution() throws {
        let tenant = TestWhatsAppStack.newTenantID("scan")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)

        try sim.scan(instance: name)
        try Wait.until("the open event is recorded") {
            try stack.tenantRow(tenant)?["whatsapp_status"] as? String == "open"
        }
        let status = try stack.status(tenant: tenant)
        #expect(try status.jsonObject()["connected"] as? Bool == true)
        #expect(try sim.calls(route: "connectionState", instance: name).isEmpty)
        #expect(
            try sim.deliveries().contains {
                $0["instance"] as? String == name && $0["outcome"] as? String == "delivered"
            })
    }

    @Test func aCreateWhoseQRCodeIsPushedAsksEvolutionForNone() throws {
        // Like Baileys, the QR code comes a moment after the socket starts, by itself: create answers {"count":0}.
        try sim.updateSettings(#"{"qrDelayMs":700}"#)
        let tenant = TestWhatsAppStack.newTenantID("push")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)

        let response = try stack.connect(tenant: tenant)

        #expect(response.status == 201, "\(response.text)")
        let qrcode = try response.jsonObject()["qrcode"] as? String
        #expect(qrcode?.hasPrefix("data:image/png;base64,") == true)
        #expect(try sim.calls(route: "connect", instance: name).isEmpty)
    }

    @Test func anAdoptedInstanceGetsOurWebhookAndAReusedOneKeepsItWithoutAnotherSet() throws {
        let tenant = TestWhatsAppStack.newTenantID("adopt")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try sim.createInstance(named: name)  // left by an earlier run, without our webhook
        try stack.insertTenant(tenant)

        #expect(try stack.connect(tenant: tenant).status == 200)
        #expect(
            try sim.routesCalled(instance: name).filter { $0.hasPrefix("webhook") } == ["webhookFind", "webhookSet"])
        let stored = try sim.sendWithKey("GET", "/webhook/find/\(name)").jsonObject()
        #expect(stored["url"] as? String == stack.responderEnvironment["EVOLUTION_WEBHOOK_URL"])
        #expect(
            Set(stored["events"] as? [String] ?? []) == [
                "QRCODE_UPDATED", "CONNECTION_UPDATE", "LOGOUT_INSTANCE", "REMOVE_INSTANCE",
            ])

        // The next connect reuses the instance: its webhook is read back, found equal, and not set again (the
        // test's own read above is the third call).
        // Without a pushed QR code (the deliveries of the adoption have all landed first), it asks Evolution.
        try Wait.until("the adoption's deliveries have landed") {
            try sim.deliveries().filter { $0["instance"] as? String == name }
                .allSatisfy { !["pending", "retrying"].contains($0["outcome"] as? String) }
        }
        try stack.psql("UPDATE tenants SET whatsapp_qr_code = NULL WHERE id = '\(tenant)'")
        #expect(try stack.connect(tenant: tenant).status == 200)
        #expect(
            try sim.routesCalled(instance: name).filter { $0.hasPrefix("webhook") } == [
                "webhookFind", "webhookSet", "webhookFind", "webhookFind",
            ])
    }

    @Test func withDeliveryBrokenStatusAsksEvolutionOnceTheRecordIsOld() throws {
        try sim.updateSettings(#"{"webhookDeliveryMode":"drop"}"#)
        let short = try TestWhatsAppStack.start(
            sim: sim, label: "dropped", webhooks: true, environment: ["STATUS_MAX_AGE_MS": "300"])
        defer { short.stop() }
        let tenant = TestWhatsAppStack.newTenantID("drop")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try short.insertTenant(tenant)
        #expect(try short.connect(tenant: tenant).status == 201)
        try sim.scan(instance: name)

        // The open event was dropped: the row still says what connect saw, until status asks Evolution.
        #expect(try short.tenantRow(tenant)?["whatsapp_status"] as? String != "open")
        try Wait.until("status, past STATUS_MAX_AGE_MS, asks Evolution and sees open", pollMilliseconds: 100) {
            try short.status(tenant: tenant).jsonObject()["status"] as? String == "open"
        }
        #expect(try !sim.calls(route: "connectionState", instance: name).isEmpty)
    }
}
