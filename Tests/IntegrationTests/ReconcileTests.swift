import Foundation
import Testing

/// `tenant-whatsapp reconcile` against the real PostgreSQL and evolution-sim (issue 12): each disagreement fixed
/// one by one, `--dry-run` changing nothing, a live orphan surviving, a busy tenant skipped, a second run idle.
@Suite("Reconcile", .serialized)
final class ReconcileTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "reconcile")
    }

    deinit {
        stack.stop()
    }

    // MARK: - One case at a time

    @Test func aStoredNameEvolutionNoLongerKnowsIsClearedAndDryRunLeavesIt() throws {
        let tenant = try tenantStoring("gone", status: "open")
        let dry = try reconcile("--dry-run")
        #expect(dry.lines.contains { $0.hasPrefix("would clear \(tenant.name)") }, "\(dry.output)")
        #expect(try stack.storedInstanceName(of: tenant.id) == tenant.name)

        let run = try reconcile()
        #expect(run.lines.contains { $0.hasPrefix("cleared \(tenant.name)") }, "\(run.output)")
        #expect(try stack.storedInstanceName(of: tenant.id) == nil)
        #expect(try auditOutcomes(tenant.id) == ["instance_gone"])
    }

    @Test func aYoungOrphanIsAdoptedAndAnOldOneDeleted() throws {
        let young = try orphan("young")
        #expect(try reconcile().lines.contains { $0.hasPrefix("adopted \(young.name)") })
        #expect(try stack.storedInstanceName(of: young.id) == young.name)
        #expect(try auditOutcomes(young.id) == ["adopted"])

        let old = try orphan("old")
        let run = try reconcile("--stale-after", "0s")
        #expect(run.lines.contains { $0.hasPrefix("deleted orphan \(old.name)") }, "\(run.output)")
        #expect(try !sim.instanceExists(old.name))
        #expect(try stack.storedInstanceName(of: old.id) == nil)
    }

    @Test func aLiveOrphanSurvivesAndIsAdoptedHoweverOld() throws {
        let live = try orphan("live")
        try sim.scan(instance: live.name)
        let run = try reconcile("--stale-after", "0s")
        #expect(run.lines.contains { $0.hasPrefix("adopted \(live.name)") }, "\(run.output)")
        #expect(try sim.state(of: live.name) == "open")
        #expect(try stack.tenantRow(live.id)?["whatsapp_status"] as? String == "open")
    }

    @Test func aStoredInstanceNeverConnectedIsExpiredButOneThatWasOpenOnceIsKept() throws {
        let never = try connectedThroughTheService("never")
        let once = try connectedThroughTheService("once")
        try sim.scan(instance: once.name)
        #expect(try stack.status(tenant: once.id).status == 200)  // seen open: remembered
        try sim.drop(instance: once.name)

        let run = try reconcile("--stale-after", "0s")
        #expect(run.lines.contains { $0.hasPrefix("expired \(never.name)") }, "\(run.output)")
        #expect(try !sim.instanceExists(never.name))
        #expect(try stack.storedInstanceName(of: never.id) == nil)
        #expect(try auditOutcomes(never.id).last == "expired")
        let shown = try stack.status(tenant: never.id).jsonObject()
        #expect(shown["status"] as? String == "not_created")
        let last = (shown["data"] as? [String: Any])?["lastDisconnection"] as? [String: Any]
        #expect(last?["reason"] as? String == "expired")
        #expect(last?["message"] as? String == "A instância expirou sem ser conectada.")
        #expect(try stack.tenantRow(never.id)?["whatsapp_disconnected_at"] is String)
        #expect(!run.output.contains(once.name))
        #expect(try sim.instanceExists(once.name))
    }

    @Test func anInstanceOfATenantThatDoesNotExistIsOnlyReportedUnlessAskedToDelete() throws {
        let name = TestWhatsAppStack.instanceName(of: TestWhatsAppStack.newTenantID("ghost"))
        try sim.createInstance(named: name)
        try sim.createInstance(named: "someone-elses-instance")
        #expect(try reconcile().lines.contains { $0.hasPrefix("unknown tenant \(name)") })
        #expect(try sim.instanceExists(name))

        let run = try reconcile("--delete-unknown-tenants")
        #expect(run.lines.contains { $0.hasPrefix("deleted unknown tenant's instance \(name)") }, "\(run.output)")
        #expect(try !sim.instanceExists(name))
        #expect(try sim.instanceExists("someone-elses-instance"))
    }

    @Test func aBusyTenantIsSkippedAndASecondRunDoesNothing() throws {
        let busy = try orphan("busy")
        try stack.psql(
            """
            UPDATE tenants SET operation_owner = 'someone', operation_expires_at = now() + interval '1 minute'
            WHERE id = '\(busy.id)'
            """)
        let first = try reconcile()
        #expect(first.lines.contains { $0.hasPrefix("skipped (busy) \(busy.name)") }, "\(first.output)")
        #expect(try stack.storedInstanceName(of: busy.id) == nil)

        try stack.psql("UPDATE tenants SET operation_owner = NULL, operation_expires_at = NULL WHERE id = '\(busy.id)'")
        #expect(try reconcile().lines.contains { $0.hasPrefix("adopted \(busy.name)") })
        let again = try reconcile("--json")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(again.output.utf8)) as? [String: Any])
        #expect((document["actions"] as? [Any])?.isEmpty == true, "\(again.output)")
    }

    @Test func anUnreachableEvolutionIsAFailureExitCode() throws {
        let result = try Subprocess.run(
            [TestEnvironment.responderBinary, "reconcile"],
            environment: environment(["EVOLUTION_API_URL": TestResponder.unusedEvolutionURL]))
        #expect(result.status == 1)
        #expect(result.error.contains("cannot list Evolution's instances"))
    }

    // MARK: - Helpers

    private struct Tenant {
        let id: String
        let name: String
    }

    private struct Run {
        let output: String
        var lines: [String] { output.split(separator: "\n").map(String.init) }
    }

    private func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = stack.responderEnvironment
        environment["JWT_SECRET"] = TestTokens.secret
        environment["LOG_FILE"] = stack.directory.appendingPathComponent("reconcile.log").path
        return environment.merging(extra) { $1 }
    }

    private func reconcile(_ arguments: String...) throws -> Run {
        let result = try Subprocess.run(
            [TestEnvironment.responderBinary, "reconcile"] + arguments, environment: environment())
        guard result.succeeded else { throw TestFailure("reconcile exited \(result.status): \(result.error)") }
        return Run(output: result.output)
    }

    /// A tenant storing an instance the simulator has never heard of.
    private func tenantStoring(_ prefix: String, status: String) throws -> Tenant {
        let id = TestWhatsAppStack.newTenantID(prefix)
        let name = TestWhatsAppStack.instanceName(of: id)
        try stack.psql(
            """
            INSERT INTO tenants (id, whatsapp_instance_name, whatsapp_status, whatsapp_instance_created_at)
            VALUES ('\(id)', '\(name)', '\(status)', now())
            """)
        return Tenant(id: id, name: name)
    }

    /// An existing tenant whose instance is in the simulator but not stored (an interrupted connect).
    private func orphan(_ prefix: String) throws -> Tenant {
        let id = TestWhatsAppStack.newTenantID(prefix)
        let name = TestWhatsAppStack.instanceName(of: id)
        try stack.insertTenant(id)
        try sim.createInstance(named: name)
        return Tenant(id: id, name: name)
    }

    /// A tenant connected through the service (instance created and stored), not scanned.
    private func connectedThroughTheService(_ prefix: String) throws -> Tenant {
        let id = TestWhatsAppStack.newTenantID(prefix)
        try stack.insertTenant(id)
        #expect(try stack.connect(tenant: id).status == 201)
        return Tenant(id: id, name: TestWhatsAppStack.instanceName(of: id))
    }

    private func auditOutcomes(_ tenant: String) throws -> [String] {
        try stack.auditRows(tenant: tenant).filter { $0["action"] as? String == "reconcile" }
            .compactMap { $0["outcome"] as? String }
    }
}
