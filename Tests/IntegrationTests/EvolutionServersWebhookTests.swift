import Foundation
import Testing

/// Webhooks with several Evolution servers (issue 19): each registered server's instances are created with the
/// webhook route `{EVOLUTION_WEBHOOK_URL}/{id}` and that server's own generated secret; a delivery on a server's
/// route must be signed with that server's secret, and one about a tenant placed on another server changes nothing.
///
/// The simulators record their deliveries without sending them (`SIM_WEBHOOK_DELIVERY=drop`), so that only the
/// deliveries posted here reach the service. A server's secret is read where Evolution keeps it: the instance's
/// webhook configuration (`jwt_key`), which `GET /webhook/find/{instance}` shows to a holder of the server's key.
@Suite("Evolution servers: webhooks", .serialized)
final class EvolutionServersWebhookTests {
    private let fleet: TestServerFleet
    private let onS1: String
    private let onS2: String

    init() throws {
        fleet = try TestServerFleet.start(
            label: "servers_webhook", count: 2, webhooks: true, simulatorEnvironment: ["SIM_WEBHOOK_DELIVERY": "drop"])
        do {
            let tenants = try fleet.insertTenants(2, prefix: "hook")
            for tenant in tenants {
                let response = try fleet.stack.connect(tenant: tenant)
                guard response.status == 201 else { throw TestFailure("connect \(tenant): \(response.text)") }
            }
            onS1 = tenants[0]
            onS2 = tenants[1]
        } catch {
            fleet.stop()
            throw error
        }
    }

    deinit {
        fleet.stop()
    }

    @Test func eachServersInstancesAreCreatedWithItsOwnRouteAndItsOwnSecret() throws {
        #expect(try fleet.server(of: onS1) == "s1")
        #expect(try fleet.server(of: onS2) == "s2")
        let first = try webhook(of: onS1, on: "s1")
        let second = try webhook(of: onS2, on: "s2")
        let base = try #require(fleet.stack.responderEnvironment["EVOLUTION_WEBHOOK_URL"])
        #expect(first.url == base + "/s1")
        #expect(second.url == base + "/s2")
        #expect(first.secret != second.secret)
        #expect(first.secret != TestWhatsAppStack.webhookSecret && second.secret != TestWhatsAppStack.webhookSecret)
        // The stored secrets are sealed: neither appears in PostgreSQL.
        let stored = try fleet.stack.psql("SELECT string_agg(webhook_secret_sealed, ' ') FROM evolution_servers")
        #expect(!stored.contains(first.secret) && !stored.contains(second.secret))
    }

    @Test func aDeliveryOnAServersRouteSignedWithItsSecretIsApplied() throws {
        let secret = try webhook(of: onS1, on: "s1").secret
        let response = try deliver(to: "s1", about: onS1, state: "open", secret: secret)
        #expect(response.status == 200, "\(response.text)")
        #expect(try fleet.stack.tenantRow(onS1)?["whatsapp_status"] as? String == "open")
    }

    @Test func aDeliverySignedWithAnotherSecretIsRefused401AndChangesNothing() throws {
        let otherServersSecret = try webhook(of: onS2, on: "s2").secret
        let before = try fleet.stack.tenantRowText(onS1)
        for secret in [otherServersSecret, TestWhatsAppStack.webhookSecret, "forged-secret-0123456789abcdef-0123"] {
            let response = try deliver(to: "s1", about: onS1, state: "open", secret: secret)
            WhatsAppExpectations.expectError(response, status: 401, code: "invalid_token")
        }
        let unknownServer = try deliver(to: "s9", about: onS1, state: "open", secret: otherServersSecret)
        WhatsAppExpectations.expectError(unknownServer, status: 401, code: "invalid_token")
        #expect(try fleet.stack.tenantRowText(onS1) == before)
        #expect(try fleet.stack.auditRows(tenant: onS1).filter { $0["action"] as? String != "connect" }.isEmpty)
    }

    @Test func aDeliverySignedForOneServerAboutATenantOnAnotherIsAnsweredAuditedAndChangesNothing() throws {
        let s1Secret = try webhook(of: onS1, on: "s1").secret
        let before = try fleet.stack.tenantRowText(onS2)

        let response = try deliver(to: "s1", about: onS2, state: "open", secret: s1Secret)

        #expect(response.status == 200, "\(response.text)")
        #expect(try fleet.stack.tenantRowText(onS2) == before)
        let webhookRows = try fleet.stack.auditRows(tenant: onS2).filter { $0["action"] as? String == "webhook" }
        #expect(webhookRows.count == 1, "\(webhookRows)")
        #expect(webhookRows.first?["outcome"] as? String == "ignored_other_server")
        #expect(webhookRows.first?["instance_name"] as? String == TestWhatsAppStack.instanceName(of: onS2))
        let status = try fleet.stack.status(tenant: onS2)
        #expect(try status.jsonObject()["status"] as? String != "open", "\(status.text)")
    }

    // MARK: - Helpers

    /// The webhook URL and `jwt_key` that server `server`'s simulator holds for `tenant`'s instance.
    private func webhook(of tenant: String, on server: String) throws -> (url: String, secret: String) {
        let name = TestWhatsAppStack.instanceName(of: tenant)
        let response = try fleet.sim(server).sendWithKey("GET", "/webhook/find/\(name)")
        let row = try response.jsonObject()
        guard let url = row["url"] as? String, let secret = (row["headers"] as? [String: Any])?["jwt_key"] as? String
        else { throw TestFailure("no webhook with a jwt_key for \(name) on \(server): \(response.text)") }
        return (url, secret)
    }

    /// Posts a `connection.update` to `/api/evolution/webhook/{server}` as Evolution 2.3 would, with a token signed
    /// with `secret`.
    private func deliver(
        to server: String, about tenant: String, state: String, secret: String
    ) throws
        -> TestHTTPResponse
    {
        let name = TestWhatsAppStack.instanceName(of: tenant)
        let claims = #"{"iat":\#(TestTokens.now),"exp":\#(TestTokens.now + 600),"app":"evolution","action":"webhook"}"#
        let token = TestTokens.token(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: claims, secret: secret)
        let body =
            #"{"event":"connection.update","instance":"\#(name)","data":{"instance":"\#(name)","state":"\#(state)","#
            + #""statusReason":200},"destination":"http://127.0.0.1/","date_time":"\#(Self.now())","#
            + #""sender":null,"server_url":"http://127.0.0.1","apikey":null}"#
        return try fleet.stack.nginx.send(
            "POST", "/api/evolution/webhook/\(server)",
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")],
            body: Data(body.utf8))
    }

    private static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

/// Real deliveries from two registered servers' simulators, each to its own route through nginx.
@Suite("Evolution servers: webhook deliveries", .serialized)
struct EvolutionServersWebhookDeliveryTests {
    @Test func eachServersDeliveriesLandOnItsOwnRouteAndRecordTheScan() throws {
        let fleet = try TestServerFleet.start(label: "servers_delivery", count: 2, webhooks: true)
        defer { fleet.stop() }
        let tenants = try fleet.insertTenants(2, prefix: "push")
        for tenant in tenants {
            let response = try fleet.stack.connect(tenant: tenant)
            #expect(response.status == 201, "\(response.text)")
        }
        for (tenant, server) in zip(tenants, ["s1", "s2"]) {
            #expect(try fleet.server(of: tenant) == server)
            let sim = try fleet.sim(server)
            let name = TestWhatsAppStack.instanceName(of: tenant)
            try sim.scan(instance: name)
            try Wait.until("\(server)'s open event is recorded for \(tenant)") {
                try fleet.stack.tenantRow(tenant)?["whatsapp_status"] as? String == "open"
            }
            try Wait.until("\(server)'s deliveries about \(name) have ended") {
                try sim.deliveries().filter { $0["instance"] as? String == name }
                    .allSatisfy { !["pending", "retrying"].contains($0["outcome"] as? String) }
            }
            let deliveries = try sim.deliveries().filter { $0["instance"] as? String == name }
            #expect(!deliveries.isEmpty)
            for delivery in deliveries {
                #expect((delivery["url"] as? String)?.hasSuffix("/api/evolution/webhook/\(server)") == true)
                #expect(delivery["outcome"] as? String == "delivered", "\(delivery)")
            }
        }
        #expect(
            try fleet.stack.auditRows(tenant: tenants[0]).filter { $0["outcome"] as? String == "ignored_other_server" }
                .isEmpty)
    }
}
