import Testing

@testable import TenantWhatsApp

/// Connect and disconnect under a short lease through in-memory fakes (issue 21, item 5): the lease is taken for ten
/// seconds whatever the operation's budget, and a flow whose lease may have run out while it waited on Evolution
/// stops before its next write or upstream call: nothing stored, nothing deleted, 503 with `Retry-After`.
@Suite("Lease flow")
struct LeaseFlowTests {
    private typealias Audit = FakeAuditRecorder.Row
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private let kit: FlowTestKit

    init() throws {
        kit = try FlowTestKit()
    }

    @Test func theLeaseIsTakenForTenSecondsWhateverTheOperationMayTake() throws {
        // The product's defaults: a connect may take 50 s (a 20 s QR wait and three 10 s calls).
        let kit = try FlowTestKit(settings: FlowSettings(qrWait: .seconds(20), upstreamTimeout: .seconds(10)))
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))

        #expect(kit.connect().status == 201)
        #expect(kit.settings.operationBudget == .seconds(50))
        #expect(kit.lock.requestedDurations == [.seconds(10)])
    }

    @Test func aConnectWhoseLeaseRanOutWhileTheCreateRanStoresNothingDeletesNothingAndAnswers503() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))
        // The create takes 9 s and no renewal goes through meanwhile (PostgreSQL away): the lease may be gone.
        let clock = kit.clock
        kit.evolution.beforeAnswer { call in
            if case .createInstance = call { clock.advance(by: .seconds(9)) }
        }

        let answer = kit.connect()

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.databaseUnavailable))
        #expect(answer.retryAfter == "1")
        // The instance stays upstream for whoever holds the tenant next (a connect adopts it), and the place with it.
        #expect(kit.evolution.calls == [.createInstance(name)])
        #expect(kit.tenants.calls == [.find, .place])
        #expect(kit.tenants.row(of: tenant)?.instanceName == nil)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .databaseUnavailable)])
        #expect(kit.lock.releases == kit.lock.granted)
        #expect(kit.tenantLimiter.holders(of: tenant) == 0)
    }

    @Test func aConnectWhoseLeaseRanOutWhileWaitingForTheQRCodeStopsAsking() throws {
        let kit = try FlowTestKit(settings: FlowSettings(qrWait: .seconds(20), upstreamTimeout: .seconds(10)))
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: .qrCodePending)))
        kit.evolution.scriptConnect(.success(.qrCodePending))
        let clock = kit.clock
        kit.evolution.beforeAnswer { call in
            if case .connect = call { clock.advance(by: .seconds(9)) }
        }

        let answer = kit.connect()

        #expect(answer.status == 503)
        // The QR poll that took 9 s was the last call: the next one is not made.
        #expect(kit.evolution.calls == [.createInstance(name), .connect(name)])
        #expect(kit.clock.pauses == [.milliseconds(500)])
        #expect(kit.tenants.calls == [.find, .place, .attachInstance])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aDisconnectWhoseLeaseRanOutWhileTheDeleteRanLeavesTheRowAsItWas() {
        kit.tenants.seed(tenant, .instance(name, .open))
        kit.evolution.scriptDelete(.success(()))
        let clock = kit.clock
        kit.evolution.beforeAnswer { call in
            if case .deleteInstance = call { clock.advance(by: .seconds(9)) }
        }

        let answer = kit.disconnect()

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.databaseUnavailable))
        #expect(kit.tenants.calls == [.find, .recordDisconnectRequested])
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.audit.rows == [Audit(.disconnect, "failed", error: .databaseUnavailable, instance: name)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aLeaseRenewedWhileTheCreateRanLetsTheConnectFinish() throws {
        var settings = FlowSettings(qrWait: .seconds(2), upstreamTimeout: .seconds(1))
        settings.lease.renewalInterval = .milliseconds(2)
        let kit = try FlowTestKit(settings: settings)
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))
        let (clock, lock) = (kit.clock, kit.lock)
        // The create takes 10 s. Renewals go on meanwhile: once two renewals have started after the first 5 s, the
        // first of them was sent at 5 s or later, and the third one starts only after its outcome was recorded.
        kit.evolution.beforeAnswer { call in
            guard case .createInstance = call else { return }
            clock.advance(by: .seconds(5))
            _ = lock.awaitRenewals(lock.renewals.count + 3)
            clock.advance(by: .seconds(5))
        }

        let answer = kit.connect()

        #expect(answer.status == 201)
        #expect(kit.tenants.calls == [.find, .place, .attachInstance])
        #expect(kit.lock.releases == kit.lock.granted)
    }
}
