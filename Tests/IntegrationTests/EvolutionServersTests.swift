import Foundation
import Testing

/// Draining and disabling an Evolution server with the real `servers` command while the responder runs (issue 19):
/// the change takes effect within about a second, a drained server keeps serving its tenants, a disabled one gets
/// no call at all, and `reconcile` deletes what a disconnect left on it once it is active again.
@Suite("Evolution servers: drain and disable", .serialized)
struct EvolutionServersTests {
    @Test func aDrainedServerGetsNoNewPlacementWhileItsTenantsStatusStillAnswersAndListShowsItsCounts() throws {
        let fleet = try TestServerFleet.start(label: "servers_drain")
        defer { fleet.stop() }
        // Ties go by id: the first three tenants land on s1, s2, s3.
        let first = try fleet.insertTenants(3, prefix: "drain")
        for tenant in first { #expect(try fleet.stack.connect(tenant: tenant).status == 201) }
        let onS1 = try #require(first.first)
        #expect(try fleet.server(of: onS1) == "s1")
        try fleet.sim("s1").scan(instance: TestWhatsAppStack.instanceName(of: onS1))

        let drained = try fleet.cli("servers", "drain", "s1")
        #expect(drained.succeeded, "\(drained.error)")
        try fleet.awaitServer("s1", state: "draining")
        let later = try fleet.insertTenants(6, prefix: "after")
        for tenant in later {
            let response = try fleet.stack.connect(tenant: tenant)
            #expect(response.status == 201, "\(response.text)")
            #expect(try fleet.server(of: tenant) != "s1")
        }

        let status = try fleet.stack.status(tenant: onS1)
        #expect(status.status == 200, "\(status.text)")
        #expect(try status.jsonObject()["status"] as? String == "open")
        #expect(try fleet.placedCounts() == ["s1": 1, "s2": 4, "s3": 4])
        let s1 = try #require(try fleet.serversList().first { $0["id"] as? String == "s1" })
        #expect(s1["state"] as? String == "draining")
        #expect(s1["capacity"] as? Int == 10)
        #expect(s1["registered"] as? Bool == true)
        #expect(s1["placed"] as? Int == 1)
        #expect(s1["open"] as? Int == 1)
        #expect(s1["connecting"] as? Int == 0)
        #expect(s1["url"] as? String == (try fleet.sim("s1").baseURL))
    }

    @Test func aDisabledServerGetsNoCallItsTenantMovesAndReconcileDeletesTheInstanceLeftOnIt() throws {
        let fleet = try TestServerFleet.start(label: "servers_disable")
        defer { fleet.stop() }
        let tenant = try #require(try fleet.insertTenants(1, prefix: "disable").first)
        let name = TestWhatsAppStack.instanceName(of: tenant)
        #expect(try fleet.stack.connect(tenant: tenant).status == 201)
        #expect(try fleet.server(of: tenant) == "s1")
        let s1 = try fleet.sim("s1")

        #expect(try fleet.cli("servers", "disable", "s1").succeeded)
        try fleet.awaitServer("s1", state: "disabled")
        try s1.control("DELETE", "/calls")

        WhatsAppExpectations.expectError(
            try fleet.stack.connect(tenant: tenant), status: 503, code: "upstream_unavailable")
        WhatsAppExpectations.expectError(
            try fleet.stack.status(tenant: tenant), status: 503, code: "upstream_unavailable")
        let disconnected = try fleet.stack.disconnect(tenant: tenant)
        #expect(disconnected.status == 200, "\(disconnected.text)")
        #expect(try fleet.stack.storedInstanceName(of: tenant) == nil)
        #expect(
            try fleet.stack.psql("SELECT server_id || ' ' || instance_name FROM evolution_pending_deletions")
                == "s1 \(name)")

        let reconnected = try fleet.stack.connect(tenant: tenant)
        #expect(reconnected.status == 201, "\(reconnected.text)")
        let newServer = try #require(try fleet.server(of: tenant))
        #expect(newServer != "s1")
        #expect(try fleet.tenantInstances(on: newServer) == [name])
        let callsToDisabled = try s1.callLog()
        #expect(callsToDisabled.isEmpty, "calls reached the disabled server: \(callsToDisabled)")
        #expect(try s1.instanceExists(name))

        #expect(try fleet.cli("servers", "activate", "s1").succeeded)
        let reconciled = try fleet.reconcile("--json")
        #expect(reconciled.status == 0, "\(reconciled.error)")
        let actions = try Self.actions(reconciled.output)
        #expect(
            actions.contains { $0["kind"] as? String == "deleted_pending" && $0["instanceName"] as? String == name },
            "\(reconciled.output)")
        #expect(try !s1.instanceExists(name))
        #expect(try fleet.tenantInstances(on: newServer) == [name])
        #expect(try fleet.stack.storedInstanceName(of: tenant) == name)
        #expect(try fleet.server(of: tenant) == newServer)
        #expect(try fleet.stack.psql("SELECT count(*) FROM evolution_pending_deletions") == "0")
    }

    static func actions(_ output: String) throws -> [[String: Any]] {
        let document = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        guard let actions = document?["actions"] as? [[String: Any]] else {
            throw TestFailure("reconcile --json printed no actions: \(output)")
        }
        return actions
    }
}
