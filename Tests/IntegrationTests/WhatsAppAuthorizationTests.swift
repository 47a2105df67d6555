import Foundation
import Testing

/// Who may act on which tenant (security cases B21, B23, B24): another tenant's token, an unknown tenant and path
/// tricks are answered without a single call to Evolution and without touching the tenants' rows.
@Suite("WhatsApp routes: tenants and authorization", .serialized)
final class WhatsAppAuthorizationTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    /// The caller's tenant.
    private let own = TestWhatsAppStack.newTenantID("own")
    /// Another tenant, with an instance.
    private let other = TestWhatsAppStack.newTenantID("other")
    private var otherName: String { TestWhatsAppStack.instanceName(of: other) }

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "authorization")
        try stack.insertTenant(own)
        try stack.insertTenant(other)
        #expect(try stack.connect(tenant: other).status == 201)
        try sim.control("DELETE", "/calls")
    }

    deinit {
        stack.stop()
    }

    @Test func aTokenForAnotherTenantIs403OnEveryRouteWithoutCallingEvolution() throws {
        let rowBefore = try stack.tenantRowText(other)
        let auditBefore = try stack.auditRows(tenant: other).count
        let token = TestWhatsAppStack.token(for: own)
        for route in WhatsAppRoute.allCases {
            let response = try stack.send(route: route, tenant: other, token: token)
            WhatsAppExpectations.expectError(response, status: 403, code: "tenant_forbidden", "\(route)")
        }
        #expect(try sim.callLog().isEmpty)
        #expect(try stack.tenantRowText(other) == rowBefore)
        #expect(try stack.auditRows(tenant: other).count == auditBefore)
        #expect(try sim.instanceExists(otherName))
    }

    @Test func anUnknownTenantIs404OnEveryRouteWithoutCallingEvolution() throws {
        let unknown = TestWhatsAppStack.newTenantID("unknown")
        for route in WhatsAppRoute.allCases {
            let response = try stack.send(route: route, tenant: unknown)
            WhatsAppExpectations.expectError(response, status: 404, code: "tenant_not_found", "\(route)")
        }
        #expect(try sim.callLog().isEmpty)
        #expect(try stack.tenantRowText(unknown) == nil)
    }

    @Test func statusOfATenantWithoutAnInstanceIsNotCreated() throws {
        let response = try stack.status(tenant: own)
        #expect(response.status == 200, "\(response.text)")
        let body = try response.jsonObject()
        #expect(body["connected"] as? Bool == false)
        #expect(body["status"] as? String == "not_created")
        #expect(WhatsAppExpectations.isNull(body["instanceName"]))
        let data = body["data"] as? [String: Any]
        #expect(data?["tenantId"] as? String == own)
        #expect(WhatsAppExpectations.isNull(data?["instanceName"]))
        #expect(WhatsAppExpectations.isRecentISO(data?["lastCheck"]), "\(data?["lastCheck"] ?? "nil")")
    }

    @Test func disconnectOfATenantWithoutAnInstanceIs404InstanceNotFound() throws {
        let rowBefore = try stack.tenantRowText(own)
        WhatsAppExpectations.expectError(try stack.disconnect(tenant: own), status: 404, code: "instance_not_found")
        #expect(try stack.tenantRowText(own) == rowBefore)
    }

    @Test func pathTricksNeverReachAnotherTenantOrEvolution() throws {
        let rowBefore = try stack.tenantRowText(other)
        let tenantsBefore = try stack.psql("SELECT count(*) FROM tenants")
        let token = TestWhatsAppStack.token(for: own)
        let tricks = [
            "\(own)%2F..%2F\(other)", "\(own)/../\(other)", "\(own)/..%2F\(other)", "\(own);\(other)",
            "\(own)%00", "\(own.uppercased())", "\(own)/", "/\(own)", "x'%20OR%20'1'='1", "\(own)'--",
        ]
        for trick in tricks {
            for route in WhatsAppRoute.allCases {
                let method = ["connect": "POST", "status": "GET", "disconnect": "DELETE"][route.rawValue] ?? "GET"
                let response = try stack.nginx.send(
                    method, "/api/tenants/\(trick)/whatsapp/\(route.rawValue)",
                    headers: [("Authorization", "Bearer \(token)")])
                #expect([400, 403, 404].contains(response.status), "\(trick) \(route): \(response.status)")
                #expect(response.headers["content-type"] == "application/json; charset=utf-8", "\(trick) \(route)")
            }
        }
        #expect(try sim.callLog().isEmpty)
        #expect(try stack.tenantRowText(other) == rowBefore)
        #expect(try stack.psql("SELECT count(*) FROM tenants") == tenantsBefore)
        #expect(try sim.instanceExists(otherName))
    }
}
