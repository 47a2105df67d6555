import Runtime
import Testing

@testable import TenantWhatsApp

/// Writes announce the tenant to the event stream only when they changed what it shows (docs/events.md).
@Suite("Publishing tenant repository")
struct PublishingTenantRepositoryTests {
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private let base = FakeTenantRepository()
    private let publisher = RecordingStatePublisher()
    private var repository: PublishingTenantRepository { PublishingTenantRepository(base: base, publisher: publisher) }
    private let audit = AuditEntry(
        tenant: FlowTestKit.tenant, action: .stateChange, outcome: "open", errorCode: nil, instanceName: nil,
        requestID: "r", duration: .zero)

    @Test func aCheckThatFindsTheRecordedStateAnnouncesNothing() throws {
        base.seed(tenant, .instance(name, .connecting))
        _ = try repository.recordState(.connecting, of: name, for: tenant, generation: nil, changeAudit: audit)
        #expect(publisher.tenants.isEmpty)
        _ = try repository.recordState(.open, of: name, for: tenant, generation: nil, changeAudit: audit)
        #expect(publisher.tenants == [tenant])
    }

    @Test func aWriteThatDidNotApplyAnnouncesNothing() throws {
        base.seed(tenant, .empty)
        #expect(try repository.recordState(.open, of: name, for: tenant, generation: nil, changeAudit: audit) == nil)
        #expect(try !repository.detachInstance(name, from: tenant))
        #expect(try !repository.storePushedQRCode("data:x", of: name, for: tenant, at: .now()))
        #expect(try !repository.detachRemovedInstance(name, from: tenant, at: .now()))
        #expect(publisher.tenants.isEmpty)
    }

    @Test func attachingDetachingAndAPushedQRCodeAnnounceTheTenant() throws {
        base.seed(tenant, .empty)
        _ = try repository.attachInstance(name, on: .implicitDefault, status: .connecting, to: tenant)
        #expect(try repository.storePushedQRCode("data:x", of: name, for: tenant, at: .now()))
        #expect(try repository.detachInstance(name, from: tenant))
        #expect(publisher.tenants == [tenant, tenant, tenant])
    }

    @Test func aPushedRemovalAnnouncesTheTenant() throws {
        base.seed(tenant, .instance(name, .open))
        #expect(try repository.detachRemovedInstance(name, from: tenant, at: .now()))
        #expect(publisher.tenants == [tenant])
    }
}
