import Foundation
import Testing

/// Adopt, never destroy; and no orphan, no half state (security cases D36, E48, E49): an instance already in
/// Evolution under the tenant's name is adopted; an instance created upstream whose name could not be stored is
/// deleted again.
@Suite("WhatsApp orphans and compensation", .serialized)
final class WhatsAppOrphanAndCompensationTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let tenant = TestWhatsAppStack.newTenantID("orphan")
    private var name: String { TestWhatsAppStack.instanceName(of: tenant) }

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "orphan")
        try stack.insertTenant(tenant)
    }

    deinit {
        stack.stop()
    }

    @Test func anOrphanInEvolutionIsAdoptedAndNeverDeleted() throws {
        try sim.createInstance(named: name)
        let tokenBefore = try sim.instanceToken(of: name)
        try sim.control("DELETE", "/calls")

        let response = try stack.connect(tenant: tenant)
        #expect(response.status == 200, "\(response.text)")
        let body = try response.jsonObject()
        #expect(body["success"] as? Bool == true)
        #expect(body["instanceName"] as? String == name)
        #expect(WhatsAppExpectations.pngBytes(ofDataURL: body["qrcode"]) != nil)
        #expect((body["data"] as? [String: Any])?["tenantId"] as? String == tenant)
        #expect(try stack.storedInstanceName(of: tenant) == name)
        #expect(try sim.calls(route: "delete").isEmpty)
        #expect(try sim.calls(route: "logout").isEmpty)
        // The same instance, not a new one under the same name.
        #expect(try sim.instanceNames().filter { $0 == name }.count == 1)
        #expect(try sim.instanceToken(of: name) == tokenBefore)
        let audit = try stack.auditRows(tenant: tenant).filter { $0["action"] as? String == "connect" }
        #expect(audit.map { $0["outcome"] as? String } == ["adopted"])
    }

    @Test func anOrphanThatIsAlreadyConnectedIsAdoptedAsAlreadyConnected() throws {
        try sim.createInstance(named: name)
        try sim.scan(instance: name)
        try sim.control("DELETE", "/calls")

        WhatsAppExpectations.expectError(try stack.connect(tenant: tenant), status: 409, code: "already_connected")
        #expect(try sim.calls(route: "delete").isEmpty)
        #expect(try sim.calls(route: "logout").isEmpty)
        #expect(try sim.state(of: name) == "open")
    }

    @Test func whenStoringTheNameFailsTheNewInstanceIsDeletedAndTheAnswerIs503() throws {
        try stack.psql(
            """
            CREATE FUNCTION test_refuse_instance_name() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'test: storing the instance name fails';
            END;
            $$;
            CREATE TRIGGER test_refuse_instance_name BEFORE UPDATE OF whatsapp_instance_name ON tenants
                FOR EACH ROW EXECUTE FUNCTION test_refuse_instance_name();
            """)
        let rowBefore = try stack.tenantRowText(tenant)

        let response = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectError(response, status: 503, code: "database_unavailable")
        #expect(try sim.calls(route: "create").count == 1)
        #expect(try sim.calls(route: "delete", instance: name).count == 1)
        #expect(try !sim.instanceExists(name))
        #expect(try stack.tenantRowText(tenant) == rowBefore)

        // Once the database takes the name again, connect starts clean.
        try stack.psql("DROP TRIGGER test_refuse_instance_name ON tenants")
        let retried = try stack.connect(tenant: tenant)
        WhatsAppExpectations.expectConnectAnswer(
            retried, status: 201, tenant: tenant, message: WhatsAppExpectations.createdMessage)
    }

    @Test func aTenantRowLockedByAnotherSessionAnswersWithinSecondsAndLeavesNoOrphan() throws {
        // A second session holds the tenant's row for far longer than any timeout (a minute); the test ends
        // it as soon as connect has answered.
        let holder = try RowLockHolder([tenant], in: stack)
        defer { holder.release() }

        let started = ContinuousClock.now
        let response = try stack.connect(tenant: tenant)
        let elapsed = ContinuousClock.now - started
        // The lease cannot be taken on the locked row: busy, said at once (the sessions' 50 ms lock_timeout), not when
        // the other session lets go.
        #expect(response.status == 409, "\(response.status) \(response.text) after \(elapsed)")
        #expect(elapsed < .seconds(2), "answered after \(elapsed)")
        let stored = try stack.storedInstanceName(of: tenant)
        #expect(try (stored != nil) == sim.instanceExists(name), "stored \(stored ?? "nil")")
    }
}
