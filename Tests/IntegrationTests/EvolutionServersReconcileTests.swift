import Foundation
import Testing

/// `tenant-whatsapp reconcile` over several Evolution servers (issue 19), one of them down: it is reported and its
/// tenants are left exactly as they are, while the others are reconciled (a lost instance cleared, an orphan adopted
/// with the server it was found on, the same name on two servers reported and kept, an unused place released).
@Suite("Evolution servers: reconcile", .serialized)
struct EvolutionServersReconcileTests {
    @Test func aServerThatIsDownIsReportedItsTenantsUntouchedAndTheOthersReconciled() throws {
        let fleet = try TestServerFleet.start(label: "servers_reconcile")
        defer { fleet.stop() }
        // Connected through the service: s1, s2, s3 in turn.
        let connected = try fleet.insertTenants(3, prefix: "rec")
        for tenant in connected { #expect(try fleet.stack.connect(tenant: tenant).status == 201) }
        #expect(try connected.map { try fleet.server(of: $0) } == ["s1", "s2", "s3"])
        let (kept, lost, onDownServer) = (connected[0], connected[1], connected[2])
        let s1 = try fleet.sim("s1")
        let s2 = try fleet.sim("s2")
        // s2 lost `lost`'s instance.
        #expect(try s2.sendWithKey("DELETE", "/instance/delete/\(name(lost))").status == 200)
        // An interrupted connect left `orphan`'s instance on s1 without a row naming it.
        let orphan = try #require(try fleet.insertTenants(1, prefix: "orphan").first)
        try s1.createInstance(named: name(orphan))
        // `twice` has an instance of its name on s1 and on s2.
        let twice = try #require(try fleet.insertTenants(1, prefix: "twice").first)
        try s1.createInstance(named: name(twice))
        try s2.createInstance(named: name(twice))
        // `unused` holds a place on s2 with no instance anywhere (a connect whose process was killed).
        let unused = try #require(try fleet.insertTenants(1, prefix: "unused").first)
        try fleet.stack.psql("UPDATE tenants SET evolution_server_id = 's2' WHERE id = '\(unused)'")
        // s3 is down, with one tenant whose instance it no longer has: it must not be cleared.
        let lostOnDownServer = try #require(try fleet.insertTenants(1, prefix: "downlost").first)
        try fleet.stack.psql(
            """
            UPDATE tenants SET evolution_server_id = 's3', whatsapp_instance_name = '\(name(lostOnDownServer))',
                whatsapp_status = 'open', whatsapp_instance_created_at = now() - interval '3 days'
            WHERE id = '\(lostOnDownServer)'
            """)
        try fleet.sim("s3").stop()
        let rowsOnDownServer = try [onDownServer, lostOnDownServer].map { try fleet.stack.tenantRowText($0) }

        let run = try fleet.reconcile("--json")

        #expect(run.status == 0, "\(run.error)")
        let actions = try EvolutionServersTests.actions(run.output)
        func kinds(of tenant: String) -> [String] {
            actions.filter { $0["tenantId"] as? String == tenant }.compactMap { $0["kind"] as? String }
        }
        #expect(
            actions.contains { $0["kind"] as? String == "server_unreachable" && $0["server"] as? String == "s3" },
            "\(run.output)")
        #expect(try [onDownServer, lostOnDownServer].map { try fleet.stack.tenantRowText($0) } == rowsOnDownServer)
        #expect(kinds(of: onDownServer).isEmpty && kinds(of: lostOnDownServer).isEmpty, "\(run.output)")

        #expect(kinds(of: kept).isEmpty, "\(run.output)")
        #expect(try fleet.stack.storedInstanceName(of: kept) == name(kept))

        #expect(kinds(of: lost) == ["cleared_gone"], "\(run.output)")
        #expect(try fleet.stack.storedInstanceName(of: lost) == nil)

        #expect(kinds(of: orphan) == ["adopted"], "\(run.output)")
        #expect(try fleet.stack.storedInstanceName(of: orphan) == name(orphan))
        #expect(try fleet.server(of: orphan) == "s1")

        #expect(kinds(of: twice) == ["duplicate_name"], "\(run.output)")
        #expect(try s1.instanceExists(name(twice)) && s2.instanceExists(name(twice)))
        #expect(try fleet.stack.storedInstanceName(of: twice) == nil)

        #expect(kinds(of: unused) == ["released_place"], "\(run.output)")
        #expect(try fleet.server(of: unused) == nil)
    }

    private func name(_ tenant: String) -> String { TestWhatsAppStack.instanceName(of: tenant) }
}
