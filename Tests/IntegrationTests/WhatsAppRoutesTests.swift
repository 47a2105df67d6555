import Foundation
import Testing

/// The three tenant WhatsApp routes end to end (issue #5, "Done when"), through the real nginx, the responder under
/// spawn-fcgi, PostgreSQL and evolution-sim: connect, status and disconnect over a tenant's whole life, and the
/// cases where the database and Evolution disagree (security cases D37 and D38).
@Suite("WhatsApp routes", .serialized)
final class WhatsAppRoutesTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let tenant = TestWhatsAppStack.newTenantID("routes")
    private var name: String { TestWhatsAppStack.instanceName(of: tenant) }

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "routes")
        try stack.insertTenant(tenant)
    }

    deinit {
        stack.stop()
    }

    @Test func theWholeLifecycleFromFirstConnectToANewNumber() throws {
        // connect → 201 with every field of the seed payload, the name stored.
        let created = try stack.connect(tenant: tenant, json: "{}")
        WhatsAppExpectations.expectConnectAnswer(
            created, status: 201, tenant: tenant, message: WhatsAppExpectations.createdMessage)
        #expect(created.headers["cache-control"] == "no-store")
        #expect(created.headers["x-request-id"] != nil)
        let stored = try #require(try stack.tenantRow(tenant))
        #expect(stored["whatsapp_instance_name"] as? String == name)
        #expect(stored["whatsapp_instance_created_at"] is String)
        #expect(try sim.calls(route: "create").count == 1)

        // connect again → 200 with a QR code, still one create.
        let reused = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectConnectAnswer(
            reused, status: 200, tenant: tenant, message: WhatsAppExpectations.reusedMessage)
        #expect(try sim.calls(route: "create").count == 1)

        // A phone scans the QR code → status open, connected, and the DB records it.
        try sim.scan(instance: name)
        let open = try stack.status(tenant: tenant)
        #expect(open.status == 200, "\(open.text)")
        let openBody = try open.jsonObject()
        #expect(openBody["connected"] as? Bool == true)
        #expect(openBody["status"] as? String == "open")
        #expect(openBody["instanceName"] as? String == name)
        let openData = openBody["data"] as? [String: Any]
        #expect(openData?["tenantId"] as? String == tenant)
        #expect(openData?["instanceName"] as? String == name)
        #expect(WhatsAppExpectations.isRecentISO(openData?["lastCheck"]), "\(openData?["lastCheck"] ?? "nil")")
        let connectedRow = try #require(try stack.tenantRow(tenant))
        #expect(connectedRow["whatsapp_status"] as? String == "open")
        #expect(connectedRow["whatsapp_connected_at"] is String)

        // connect while open → 409 already_connected.
        WhatsAppExpectations.expectError(try stack.connect(tenant: tenant), status: 409, code: "already_connected")

        // disconnect → 200, name cleared, instance gone upstream.
        let disconnected = try stack.disconnect(tenant: tenant)
        #expect(disconnected.status == 200, "\(disconnected.text)")
        let disconnectedBody = try disconnected.jsonObject()
        #expect(disconnectedBody["success"] as? Bool == true)
        #expect(disconnectedBody["message"] as? String == WhatsAppExpectations.disconnectedMessage)
        let disconnectedData = disconnectedBody["data"] as? [String: Any]
        #expect(disconnectedData?["tenantId"] as? String == tenant)
        #expect(disconnectedData?["instanceName"] as? String == name)
        #expect(WhatsAppExpectations.isRecentISO(disconnectedData?["disconnectedAt"]))
        let cleared = try #require(try stack.tenantRow(tenant))
        #expect(WhatsAppExpectations.isNull(cleared["whatsapp_instance_name"]))
        #expect(WhatsAppExpectations.isNull(cleared["whatsapp_connected_at"]))
        #expect(try !sim.instanceExists(name))

        // disconnect again → 404 instance_not_found.
        WhatsAppExpectations.expectError(
            try stack.disconnect(tenant: tenant), status: 404, code: "instance_not_found")

        // connect again → 201: a new number can be connected.
        let again = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectConnectAnswer(
            again, status: 201, tenant: tenant, message: WhatsAppExpectations.createdMessage)
        #expect(try stack.storedInstanceName(of: tenant) == name)
        #expect(try sim.calls(route: "create").count == 2)
        #expect(try sim.instanceExists(name))
    }

    @Test func statusOfAnInstanceWaitingForItsScanIsConnectingAndNotConnected() throws {
        #expect(try stack.connect(tenant: tenant).status == 201)
        let response = try stack.status(tenant: tenant)
        #expect(response.status == 200, "\(response.text)")
        let body = try response.jsonObject()
        #expect(body["connected"] as? Bool == false)
        #expect(body["status"] as? String == "connecting")
        #expect(body["instanceName"] as? String == name)
        let row = try #require(try stack.tenantRow(tenant))
        #expect(WhatsAppExpectations.isNull(row["whatsapp_connected_at"]))
    }

    @Test func aDroppedConnectionShowsAsCloseAndConnectOffersAFreshQRCode() throws {
        #expect(try stack.connect(tenant: tenant).status == 201)
        try sim.scan(instance: name)
        #expect(try stack.status(tenant: tenant).jsonObject()["status"] as? String == "open")
        try sim.drop(instance: name)

        let closed = try stack.status(tenant: tenant).jsonObject()
        #expect(closed["status"] as? String == "close")
        #expect(closed["connected"] as? Bool == false)
        let row = try #require(try stack.tenantRow(tenant))
        #expect(row["whatsapp_status"] as? String == "close")
        #expect(WhatsAppExpectations.isNull(row["whatsapp_connected_at"]))

        let reconnect = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectConnectAnswer(
            reconnect, status: 200, tenant: tenant, message: WhatsAppExpectations.reusedMessage)
        #expect(try sim.calls(route: "create").count == 1)
    }

    @Test func connectCreatesTheInstanceAgainWhenEvolutionNoLongerKnowsTheStoredOne() throws {
        try stack.psql(
            "UPDATE tenants SET whatsapp_instance_name = \(TestWhatsAppStack.literal(name)) WHERE id = '\(tenant)'")
        let response = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectConnectAnswer(
            response, status: 201, tenant: tenant, message: WhatsAppExpectations.createdMessage)
        #expect(try sim.calls(route: "create").count == 1)
        #expect(try sim.instanceExists(name))
        #expect(try stack.storedInstanceName(of: tenant) == name)
    }

    @Test func statusClearsAStoredNameEvolutionNoLongerKnowsSoTheNextConnectStartsClean() throws {
        try stack.psql(
            "UPDATE tenants SET whatsapp_instance_name = \(TestWhatsAppStack.literal(name)) WHERE id = '\(tenant)'")
        let response = try stack.status(tenant: tenant)
        #expect(response.status == 200, "\(response.text)")
        let body = try response.jsonObject()
        #expect(body["status"] as? String == "not_created")
        #expect(body["connected"] as? Bool == false)
        #expect(WhatsAppExpectations.isNull(body["instanceName"]))
        #expect(try stack.storedInstanceName(of: tenant) == nil)

        let next = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectConnectAnswer(
            next, status: 201, tenant: tenant, message: WhatsAppExpectations.createdMessage)
    }

    @Test func disconnectClearsTheNameWhenTheInstanceIsAlreadyGoneUpstream() throws {
        try stack.psql(
            "UPDATE tenants SET whatsapp_instance_name = \(TestWhatsAppStack.literal(name)) WHERE id = '\(tenant)'")
        let response = try stack.disconnect(tenant: tenant)
        #expect(response.status == 200, "\(response.text)")
        #expect(try response.jsonObject()["success"] as? Bool == true)
        #expect(try stack.storedInstanceName(of: tenant) == nil)
    }

    @Test func disconnectLogsOutFirstWhenEvolutionDemandsItAndTheInstanceEndsUpGone() throws {
        #expect(try stack.connect(tenant: tenant).status == 201)
        // Evolution v1 (and a zombie socket) refuse to delete a connected instance.
        try sim.inject(
            #"""
            {"route":"delete","status":400,"body":{"status":400,"error":"Bad Request",
             "response":{"message":["The \"\#(name)\" instance needs to be disconnected"]}}}
            """#)
        let response = try stack.disconnect(tenant: tenant)
        #expect(response.status == 200, "\(response.text)")
        let routes = try sim.routesCalled(instance: name).filter { $0 == "logout" || $0 == "delete" }
        #expect(routes == ["delete", "logout", "delete"])
        #expect(try !sim.instanceExists(name))
        #expect(try stack.storedInstanceName(of: tenant) == nil)
    }

    @Test func anEmptyJSONObjectAndNoBodyAreBothAcceptedByConnect() throws {
        #expect(try stack.connect(tenant: tenant).status == 201)
        #expect(try stack.connect(tenant: tenant, json: "{}").status == 200)
    }
}
