import Foundation
import Testing

/// Placement over several Evolution servers (issue 19) through nginx, with simulators registered by the real
/// `servers add`: each server filled to exactly its capacity, counted in PostgreSQL and in the simulators
/// themselves, the next tenant refused without any call upstream, and two responder processes placing at once
/// never going over a capacity (PostgreSQL enforces it).
@Suite("Evolution servers: placement", .serialized)
struct EvolutionServersPlacementTests {
    @Test func thirtyTenantsFillThreeServersOfTenToExactlyTenAndTheThirtyFirstIsRefusedWithoutAnyCreate() throws {
        let fleet = try TestServerFleet.start(label: "placement_fill")
        defer { fleet.stop() }
        let tenants = try fleet.insertTenants(31, prefix: "fill")

        for tenant in tenants.prefix(30) {
            let response = try fleet.stack.connect(tenant: tenant)
            #expect(response.status == 201, "\(tenant): \(response.status) \(response.text)")
        }

        #expect(try fleet.placedCounts() == ["s1": 10, "s2": 10, "s3": 10])
        for server in TestServerFleet.serverIDs(3) {
            let placedHere = try fleet.stack.psql(
                "SELECT string_agg(id, ',') FROM tenants WHERE evolution_server_id = '\(server)'"
            ).split(separator: ",").map { TestWhatsAppStack.instanceName(of: String($0)) }
            #expect(try fleet.tenantInstances(on: server) == Set(placedHere), "\(server)")
        }
        let createsBefore = try fleet.sims.map { try $0.calls(route: "create").count }

        let last = try #require(tenants.last)
        let refused = try fleet.stack.connect(tenant: last)

        WhatsAppExpectations.expectError(refused, status: 503, code: "capacity_exhausted")
        #expect(Int(refused.headers["retry-after"] ?? "") ?? 0 > 0, "Retry-After: \(refused.headers)")
        #expect(try fleet.sims.map { try $0.calls(route: "create").count } == createsBefore)
        #expect(try fleet.server(of: last) == nil)
        #expect(try fleet.stack.storedInstanceName(of: last) == nil)
        let audit = try fleet.stack.auditRows(tenant: last)
        #expect(audit.count == 1, "\(audit)")
        #expect(audit.first?["action"] as? String == "connect")
        #expect(audit.first?["outcome"] as? String == "failed")
        #expect(audit.first?["error_code"] as? String == "capacity_exhausted")
        #expect(try fleet.placedCounts() == ["s1": 10, "s2": 10, "s3": 10])
    }

    @Test func twoRespondersPlacingTwentyFourTenantsAtOnceFillTwoServersOfTenAndNeverMore() throws {
        let fleet = try TestServerFleet.start(label: "placement_race", count: 2, responderCount: 2, threads: 8)
        defer { fleet.stop() }
        let tenants = try fleet.insertTenants(24, prefix: "race")

        let results = try Concurrently.run(tenants.count) { index in try fleet.stack.connect(tenant: tenants[index]) }
        let responses = try results.map { try $0.get() }

        let statuses = responses.map(\.status)
        #expect(statuses.filter { $0 == 201 }.count == 20, "\(statuses)")
        let refused = responses.filter { $0.status != 201 }
        #expect(refused.count == 4, "\(statuses)")
        for response in refused {
            WhatsAppExpectations.expectError(response, status: 503, code: "capacity_exhausted")
        }
        #expect(try fleet.placedCounts() == ["s1": 10, "s2": 10])
        #expect(try fleet.tenantInstances(on: "s1").count == 10)
        #expect(try fleet.tenantInstances(on: "s2").count == 10)
        #expect(try fleet.tenantInstances(on: "s1").isDisjoint(with: try fleet.tenantInstances(on: "s2")))
        // Both processes placed: nginx spread the connects over them.
        for responder in fleet.stack.responders {
            let connects = try responder.logLines().filter { ($0["route"] as? String)?.hasSuffix("/connect") == true }
            #expect(!connects.isEmpty, "\(responder.socketPath) answered no connect")
        }
    }
}
