import Foundation
import Runtime
import Testing

/// Evolution servers whose hosts are in other time zones (docs/webhooks.md, "Evolution's clock"): every real delivery
/// of a node three hours behind UTC and of one nine hours ahead applies, while a removal of a previous instance,
/// stamped on the node's own clock before the instance was created, does not; each server's learned offset is stored
/// once, not per delivery, and a responder starting up converts with the stored offset until fresh deliveries agree on
/// another one.
@Suite("Webhook server clocks", .serialized)
struct WebhookServerClockTests {
    @Test func everyRealDeliveryOfANodeThreeHoursBehindAndOfOneNineHoursAheadApplies() throws {
        let fleet = try TestServerFleet.start(label: "clocks", count: 2, webhooks: true)
        defer { fleet.stop() }
        let zones = [("s1", -180), ("s2", 540)]
        for (server, offset) in zones {
            try fleet.sim(server).updateSettings(#"{"timeZoneOffsetMinutes":\#(offset)}"#)
        }
        let tenants = try fleet.insertTenants(2, prefix: "zone")
        for tenant in tenants {
            let response = try fleet.stack.connect(tenant: tenant)
            #expect(response.status == 201, "\(response.text)")
        }
        for (tenant, (server, _)) in zip(tenants, zones) {
            try Self.awaitDeliveriesEnded(of: TestWhatsAppStack.instanceName(of: tenant), on: try fleet.sim(server))
        }
        let storedVersions = try Self.clockRowVersions(fleet)
        for (tenant, (server, offset)) in zip(tenants, zones) {
            #expect(try fleet.server(of: tenant) == server)
            let sim = try fleet.sim(server)
            let name = TestWhatsAppStack.instanceName(of: tenant)

            // A previous instance's removal, stamped on this node's clock 10 s before this instance was created and
            // signed then (late, or replayed): the instance stays.
            let created = try #require(try Self.createdAt(of: tenant, in: fleet))
            let stale = TestWebhookSender.shifted(created, by: -10)
            let sender = try Self.sender(to: server, about: name, in: fleet)
            let removal = try sender.send(
                "remove.instance", instance: name,
                dateTime: TestWebhookSender.reading(stale, offsetMinutes: offset), signedAt: stale)
            #expect(removal.status == 200, "\(removal.text)")
            #expect(try fleet.stack.storedInstanceName(of: tenant) == name)

            // Every real delivery of the node applies: the scan's open, then the drop's logout and close.
            try sim.scan(instance: name)
            try Wait.until("\(server)'s open is recorded for \(tenant)") {
                try fleet.stack.tenantRow(tenant)?["whatsapp_status"] as? String == "open"
            }
            try sim.drop(instance: name)
            try Wait.until("\(server)'s close is recorded for \(tenant)") {
                try fleet.stack.tenantRow(tenant)?["whatsapp_status"] as? String == "close"
            }
            try Self.awaitDeliveriesEnded(of: name, on: sim)
            let deliveries = try sim.deliveries().filter { $0["instance"] as? String == name }
            #expect(deliveries.allSatisfy { $0["outcome"] as? String == "delivered" }, "\(deliveries)")
            let outcomes = try fleet.stack.auditRows(tenant: tenant).compactMap { $0["outcome"] as? String }
            // The drop's logout records `logged_out`, then its close adds Evolution's code 401 (a row of its own).
            #expect(outcomes.suffix(3) == ["open", "close:logged_out", "close:logged_out"], "\(outcomes)")
        }
        let offsets = try fleet.stack.psql(
            "SELECT string_agg(server_id || '=' || offset_minutes, ',' ORDER BY server_id) FROM evolution_server_clocks"
        )
        #expect(offsets == "s1=-180,s2=540")
        // The scans, drops and stale removals wrote no clock row: offsets are stored when they change, not per delivery.
        #expect(try Self.clockRowVersions(fleet) == storedVersions)
    }

    @Test func aStartingResponderConvertsWithTheStoredOffsetUntilThreeFreshDeliveriesAgreeOnAnother() throws {
        let sim = try TestEvolutionSim.launchedForProcess().get()
        try sim.reset()
        let label = "stored_clock_\(UInt32.random(in: 0...UInt32.max))"
        let database = try TestPostgres.shared.createDatabase(label)
        try TestStack.migrate(databaseURL: database)
        // Learned before this responder started: `default` nine hours ahead. It now runs at UTC (its host moved, or
        // the change back was never seen).
        let name = try #require(database.split(separator: "?").first?.split(separator: "/").last.map(String.init))
        try TestPostgres.shared.psql(
            "INSERT INTO evolution_server_clocks (server_id, offset_minutes) VALUES ('default', 540)", database: name)
        let restarted = try TestWhatsAppStack.start(sim: sim, label: "stored_clock", webhooks: true, database: database)
        defer { restarted.stop() }
        let tenant = TestWhatsAppStack.newTenantID("stored")
        let instance = TestWhatsAppStack.instanceName(of: tenant)
        try restarted.psql(
            """
            INSERT INTO tenants (id, whatsapp_instance_name, whatsapp_status, whatsapp_instance_created_at,
                whatsapp_checked_at, whatsapp_instance_generation)
            VALUES ('\(tenant)', '\(instance)', 'connecting', now() - interval '1 minute', now(), gen_random_uuid()::text)
            """)
        let sender = TestWebhookSender(default: restarted)
        func deliverOpen() throws {
            let now = Timestamp.now()
            let response = try sender.send(
                "connection.update", instance: instance,
                data: TestWebhookSender.connection("open", instance: instance),
                dateTime: TestWebhookSender.reading(now),
                signedAt: now)
            #expect(response.status == 200, "\(response.text)")
        }

        // Converted with UTC+9, the first two look nine hours old: older than the instance, ignored.
        for _ in 0..<2 {
            try deliverOpen()
            #expect(try restarted.tenantRow(tenant)?["whatsapp_status"] as? String == "connecting")
        }
        try deliverOpen()
        #expect(try restarted.tenantRow(tenant)?["whatsapp_status"] as? String == "open")
        #expect(
            try restarted.psql("SELECT offset_minutes FROM evolution_server_clocks WHERE server_id = 'default'") == "0")
    }

    // MARK: - Helpers

    private static func awaitDeliveriesEnded(of name: String, on sim: TestEvolutionSim) throws {
        try Wait.until("the deliveries about \(name) have ended") {
            try sim.deliveries().filter { $0["instance"] as? String == name }
                .allSatisfy { !["pending", "retrying"].contains($0["outcome"] as? String) }
        }
    }

    /// Each clock row's version (`xmin`): it changes with every write of the row.
    private static func clockRowVersions(_ fleet: TestServerFleet) throws -> String {
        try fleet.stack.psql(
            "SELECT string_agg(server_id || ':' || xmin::text, ',' ORDER BY server_id) FROM evolution_server_clocks")
    }

    /// When the tenant's instance was created, as PostgreSQL recorded it.
    private static func createdAt(of tenant: String, in fleet: TestServerFleet) throws -> Timestamp? {
        let text = try fleet.stack.psql(
            """
            SELECT to_char(whatsapp_instance_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
            FROM tenants WHERE id = \(TestWhatsAppStack.literal(tenant))
            """)
        return Timestamp(iso8601: text)
    }

    /// Deliveries to server `server`'s route, signed with the secret its simulator holds for instance `name`.
    private static func sender(
        to server: String, about name: String, in fleet: TestServerFleet
    ) throws -> TestWebhookSender {
        let row = try fleet.sim(server).sendWithKey("GET", "/webhook/find/\(name)").jsonObject()
        let secret = try #require((row["headers"] as? [String: Any])?["jwt_key"] as? String)
        return TestWebhookSender(nginx: fleet.stack.nginx, path: "/api/evolution/webhook/\(server)", secret: secret)
    }
}
