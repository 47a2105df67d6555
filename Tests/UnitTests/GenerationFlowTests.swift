import JSON
import Testing

@testable import TenantWhatsApp

/// Writes of a status check are conditional on the generation of the instance it read (issue 15, item 1): when a
/// disconnect and a new connect replaced the instance meanwhile (same name, new generation), the check changes
/// nothing, so a live instance is never forgotten.
@Suite("Generation-guarded writes")
struct GenerationFlowTests {
    private typealias Tenants = FakeTenantRepository
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance

    private func seed(_ kit: FlowTestKit, generation: String) {
        var row = Tenants.Row.instance(name, .connecting)
        row.generation = generation
        kit.tenants.seed(tenant, row)
    }

    @Test func aCheckThatSawTheOldInstanceGoneDoesNotForgetTheNewOne() throws {
        let kit = try FlowTestKit()
        seed(kit, generation: "old")
        kit.evolution.scriptConnectionState(.failure(.notFound))
        // Meanwhile a disconnect and a connect stored a new instance of the same name.
        kit.tenants.beforeNext(.detachInstance) { [tenant] rows in rows[tenant]?.generation = "new" }

        _ = kit.status()

        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.tenants.row(of: tenant)?.generation == "new")
        #expect(kit.audit.entries.isEmpty)
    }

    @Test func aCheckOfTheInstanceItReadDetachesItWhenGone() throws {
        let kit = try FlowTestKit()
        seed(kit, generation: "same")
        kit.evolution.scriptConnectionState(.failure(.notFound))

        let answer = kit.status()

        #expect(answer.body["status"] == "not_created")
        #expect(kit.tenants.row(of: tenant)?.instanceName == nil)
        #expect(kit.audit.rows.map(\.outcome) == ["instance_gone"])
    }

    @Test func aStateSeenForAReplacedInstanceIsNotRecorded() throws {
        let kit = try FlowTestKit()
        seed(kit, generation: "old")
        kit.evolution.scriptConnectionState(.success(.open))
        kit.tenants.beforeNext(.recordState) { [tenant] rows in rows[tenant]?.generation = "new" }

        _ = kit.status()

        #expect(kit.tenants.row(of: tenant)?.status == .connecting)
        #expect(kit.audit.entries.isEmpty)
    }
}
