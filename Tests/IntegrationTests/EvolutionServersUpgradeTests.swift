import Foundation
import Testing

/// Upgrading a database from before several Evolution servers (issue 19, migration 0007): an open tenant is placed on
/// the implicit `default` of `EVOLUTION_API_URL` and keeps answering `open`, also once servers are registered
/// (`default` among them, at the same Evolution).
@Suite("Evolution servers: upgrade", .serialized)
struct EvolutionServersUpgradeTests {
    private static let projectMigrations = TestEnvironment.packageRoot.appendingPathComponent("sql/migrations")

    @Test func anOpenTenantFromBeforeMigration7IsPlacedOnDefaultAndStaysOpenOnceServersAreRegistered() throws {
        let sim = try TestEvolutionSim.start()
        defer { sim.stop() }
        let other = try TestEvolutionSim.start()
        defer { other.stop() }
        let databaseURL = try TestPostgres.shared.createDatabase("servers_upgrade")
        let oldMigrations = try copyOfMigrations(before: "0007")
        defer { try? FileManager.default.removeItem(at: oldMigrations) }
        let migrated = try Subprocess.run(
            [TestEnvironment.responderBinary, "migrate", "--dir", oldMigrations.path],
            environment: ["DATABASE_URL": databaseURL])
        #expect(migrated.succeeded, "\(migrated.error)")
        let databaseName = try #require(databaseURL.split(separator: "?").first?.split(separator: "/").last)
        // An open tenant as the service before 0007 left it: its instance created and scanned in Evolution.
        let tenant = TestWhatsAppStack.newTenantID("upgrade")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try sim.createInstance(named: name)
        try sim.scan(instance: name)
        try TestPostgres.shared.psql(
            """
            INSERT INTO tenants (id, whatsapp_instance_name, whatsapp_status, whatsapp_instance_created_at,
                whatsapp_connected_at, whatsapp_opened_at, whatsapp_checked_at)
            VALUES ('\(tenant)', '\(name)', 'open', now(), now(), now(), now())
            """, database: String(databaseName))

        // 0007 applied by the stack's migrate; the responder knows only EVOLUTION_API_URL.
        let old = try TestWhatsAppStack.start(sim: sim, label: "servers_upgrade", database: databaseURL)
        defer { old.stop() }
        #expect(try old.psql("SELECT evolution_server_id FROM tenants WHERE id = '\(tenant)'") == "default")
        try expectOpen(tenant, through: old, sim: sim)
        old.stop()

        let secretsKey = TestServerFleet.newSecretsKey()
        let keys = try TestEnvironment.makeScratchDirectory("upgrade-keys")
        defer { try? FileManager.default.removeItem(at: keys) }
        let environment = TestServerFleet.cliEnvironment(databaseURL: databaseURL, secretsKey: secretsKey)
        for (id, server) in [("default", sim), ("s2", other)] {
            let keyFile = try TestServerFleet.writeKeyFile(server.apiKey, in: keys)
            let added = try TestServerFleet.runCLI(
                ["servers", "add", id, "--url", server.baseURL, "--capacity", "10", "--key-file", keyFile],
                environment: environment)
            #expect(added.succeeded, "\(added.error)")
        }
        let registered = try TestWhatsAppStack.start(
            sim: sim, label: "servers_upgrade",
            environment: ["SECRETS_KEY": secretsKey, "EVOLUTION_API_URL": "", "EVOLUTION_API_KEY": ""],
            database: databaseURL)
        defer { registered.stop() }
        try expectOpen(tenant, through: registered, sim: sim)
        #expect(try registered.psql("SELECT evolution_server_id FROM tenants WHERE id = '\(tenant)'") == "default")
    }

    /// Status answers `open` for `tenant`, asked of `sim` (no webhooks: every status asks Evolution).
    private func expectOpen(_ tenant: String, through stack: TestWhatsAppStack, sim: TestEvolutionSim) throws {
        let name = TestWhatsAppStack.instanceName(of: tenant)
        let asked = try sim.calls(route: "connectionState", instance: name).count
        let status = try stack.status(tenant: tenant)
        #expect(status.status == 200, "\(status.text)")
        #expect(try status.jsonObject()["status"] as? String == "open", "\(status.text)")
        #expect(try sim.calls(route: "connectionState", instance: name).count == asked + 1)
    }

    /// A scratch copy of the project's migrations older than `version`.
    private func copyOfMigrations(before version: String) throws -> URL {
        let copy = try TestEnvironment.makeScratchDirectory("migrations")
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.projectMigrations.path)
            .filter { $0.hasSuffix(".sql") && $0 < version }
        #expect(names.sorted().last == "0006_instance_generation.sql")
        for name in names {
            try FileManager.default.copyItem(
                at: Self.projectMigrations.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        return copy
    }
}
