import JSON
import Testing

@testable import TenantWhatsApp

/// The WhatsApp routes with several Evolution servers, through in-memory fakes: where a new tenant is placed, what
/// happens when no server has room or a create fails, and how a tenant's calls reach its own server (or none, when
/// it is disabled).
@Suite("Evolution servers flow")
struct EvolutionServersFlowTests {
    private typealias Row = FakeTenantRepository.Row
    private typealias Audit = FakeAuditRecorder.Row
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private let kit: FlowTestKit
    private let one = EvolutionServerID("evo-1")!
    private let two = EvolutionServerID("evo-2")!
    /// The upstream of `evo-2` (evo-1's is the kit's own ``FlowTestKit/evolution``).
    private let second = FakeEvolution()

    init() throws {
        kit = try FlowTestKit()
        kit.servers.add(one)
        kit.servers.add(two, upstream: second)
        kit.tenants.setCapacities([(one, 1), (two, 2)])
    }

    @Test func aNewTenantIsPlacedOnTheLeastLoadedServerAndItsInstanceCreatedThere() {
        kit.tenants.seed(TenantID("other")!, Row(server: two))
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))

        let answer = kit.connect()

        // evo-1: 0 of 1; evo-2: 1 of 2, so evo-1 is the least loaded.
        #expect(answer.status == 201)
        #expect(kit.tenants.row(of: tenant)?.server == one)
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.evolution.calls == [.createInstance(name)])
        #expect(second.calls.isEmpty)
    }

    @Test func withNoServerWithRoomConnectIs503CapacityExhaustedAndCreatesNothing() {
        kit.tenants.seed(TenantID("a")!, Row(server: one))
        kit.tenants.seed(TenantID("b")!, Row(server: two))
        kit.tenants.seed(TenantID("c")!, Row(server: two))
        kit.tenants.seed(tenant, .empty)

        let answer = kit.connect()

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.capacityExhausted))
        #expect(answer.retryAfter != nil)
        #expect(kit.evolution.calls.isEmpty && second.calls.isEmpty)
        #expect(kit.tenants.row(of: tenant) == .empty)
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .capacityExhausted)])
        #expect(kit.lock.releases == kit.lock.granted)
    }

    @Test func aCreateTheServerRefusesGivesThePlaceBackAndIsNotRetriedElsewhere() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.failure(.unreachable(curlCode: 7)))

        let answer = kit.connect()

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.upstreamUnavailable))
        #expect(kit.evolution.calls == [.createInstance(name)])
        #expect(second.calls.isEmpty)
        #expect(kit.tenants.row(of: tenant) == .empty)
        #expect(kit.tenants.calls == [.find, .place, .releasePlacement])
    }

    @Test func aTenantPlacedByAnInterruptedConnectKeepsItsPlaceAndAdoptsItsInstanceThere() {
        kit.tenants.seed(tenant, Row(server: two))
        second.scriptCreate(.failure(.nameInUse))
        second.scriptConnectionState(.success(.close))
        second.scriptConnect(.success(.qrCode(FakeEvolution.qrCode)))

        let answer = kit.connect()

        #expect(answer.status == 200)
        #expect(kit.tenants.calls.contains(.place) == false)
        #expect(kit.tenants.row(of: tenant)?.server == two)
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.evolution.calls.isEmpty)
    }

    @Test func statusAsksTheServerTheTenantIsPlacedOn() {
        kit.tenants.seed(tenant, Row(instanceName: name, status: .connecting, createdAt: "x", server: two))
        second.scriptConnectionState(.success(.open))
        second.scriptInstanceSummary(.success(nil))

        let answer = kit.status()

        #expect(answer.status == 200)
        #expect(answer.body["status"] == "open")
        #expect(second.calls == [.connectionState(name), .fetchInstance(name)])
        #expect(kit.evolution.calls.isEmpty)
    }

    @Test func aDisabledServersTenantGets503AtOnceOnConnectAndStatusWithNoCall() {
        kit.tenants.seed(tenant, Row(instanceName: name, status: .open, createdAt: "x", checkedAt: "y", server: two))
        kit.servers.set(two, .disabled)

        let status = kit.status()
        let connect = kit.connect()

        for answer in [status, connect] {
            #expect(answer.status == 503)
            #expect(answer.body == RouteAnswer.envelope(.upstreamUnavailable))
            #expect(answer.retryAfter != nil)
        }
        #expect(second.calls.isEmpty)
        #expect(kit.evolution.calls.isEmpty)
    }

    @Test func disconnectOnADisabledServerClearsTheNameAndRemembersTheInstanceForDeletion() {
        kit.tenants.seed(tenant, Row(instanceName: name, status: .open, createdAt: "x", server: two))
        kit.servers.set(two, .disabled)

        let answer = kit.disconnect()

        #expect(answer.status == 200)
        #expect(kit.tenants.row(of: tenant)?.instanceName == nil)
        #expect(kit.tenants.row(of: tenant)?.server == nil)
        #expect(kit.tenants.pendingDeletionNames == ["evo-2/\(name)"])
        #expect(second.calls.isEmpty)
        #expect(kit.audit.rows == [Audit(.disconnect, "deletion_deferred", instance: name)])
    }

    @Test func aPlaceOnANowDisabledServerIsGivenBackAndTheTenantPlacedElsewhere() {
        kit.tenants.seed(tenant, Row(server: two))
        kit.servers.set(two, .disabled)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))

        let answer = kit.connect()

        #expect(answer.status == 201)
        #expect(kit.tenants.calls.prefix(3) == [.find, .releasePlacement, .place])
        #expect(kit.tenants.row(of: tenant)?.server == one)
        #expect(second.calls.isEmpty)
    }

    @Test func anOverloadedServerIs503OverloadedWithRetryAfter() {
        kit.tenants.seed(tenant, Row(instanceName: name, status: .connecting, createdAt: "x", server: two))
        second.scriptConnectionState(.failure(.saturated))

        let answer = kit.status()

        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.overloaded))
        #expect(answer.retryAfter == "1")
    }
}
