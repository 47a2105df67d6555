import Testing

@testable import TenantWhatsApp

/// `tenant-whatsapp reconcile` through in-memory fakes of its seams: each kind of disagreement it settles, what it
/// leaves alone (open sessions, busy tenants, a server that does not answer, a disabled one), and `--dry-run`.
@Suite("Reconciler")
struct ReconcilerTests {
    private typealias Row = FakeTenantRepository.Row
    private typealias Audit = FakeAuditRecorder.Row
    private let tenants = FakeTenantRepository()
    private let lock = FakeOperationLock()
    private let audit = FakeAuditRecorder()
    private let one = FakeEvolution()
    private let two = FakeEvolution()
    private let s1 = EvolutionServerID("s1")!
    private let s2 = EvolutionServerID("s2")!
    private let alice = TenantID("alice")!
    private let bob = TenantID("bob")!

    /// Instances older than `--stale-after` (24 h) and ones just made.
    private static let longAgo = "2020-01-01T00:00:00.000Z"
    private static let justNow = "2999-01-01T00:00:00.000Z"

    private func reconciler(
        _ states: [EvolutionServerState] = [.active, .active]
    ) -> Reconciler {
        let servers = [
            Reconciler.Server(id: s1, state: states[0], evolution: one),
            Reconciler.Server(id: s2, state: states[1], evolution: two),
        ]
        return Reconciler(servers: servers, tenants: tenants, repository: tenants, lock: lock, audit: audit)
    }

    private func summary(_ tenant: TenantID, createdAt: String = justNow) -> EvolutionInstanceSummary {
        EvolutionInstanceSummary(
            name: tenant.instanceName, instanceID: "id-\(tenant.rawValue)", connectionStatus: .close, ownerJID: nil,
            profileName: nil, integration: "WHATSAPP-BAILEYS", createdAt: createdAt)
    }

    private func kinds(_ report: ReconcileReport) -> [ReconcileAction.Kind] {
        report.actions.map(\.kind)
    }

    @Test func aStoredNameItsServerNoLongerKnowsIsClearedAndDryRunOnlySaysSo() throws {
        tenants.seed(alice, Row(instanceName: alice.instanceName, status: .open, createdAt: "x", server: s1))
        one.scriptFetchInstances(.success([]), .success([]))
        two.scriptFetchInstances(.success([]), .success([]))

        let dry = try reconciler().run(ReconcileOptions(dryRun: true))
        #expect(kinds(dry) == [.clearedGone])
        #expect(dry.actions.first?.done == false)
        #expect(tenants.row(of: alice)?.instanceName == alice.instanceName)

        let report = try reconciler().run(ReconcileOptions())
        #expect(kinds(report) == [.clearedGone])
        #expect(tenants.row(of: alice)?.instanceName == nil)
        #expect(audit.rows == [Audit(.reconcile, "instance_gone", instance: alice.instanceName)])
        #expect(lock.releases == lock.granted)
    }

    @Test func anOrphanIsAdoptedTogetherWithTheServerItWasFoundOn() throws {
        tenants.seed(alice, .empty)
        one.scriptFetchInstances(.success([]))
        two.scriptFetchInstances(.success([summary(alice)]))
        two.scriptConnectionState(.success(.open))

        let report = try reconciler().run(ReconcileOptions())

        #expect(kinds(report) == [.adopted])
        #expect(tenants.row(of: alice)?.instanceName == alice.instanceName)
        #expect(tenants.row(of: alice)?.server == s2)
        #expect(tenants.row(of: alice)?.status == .open)
        #expect(one.calls == [.fetchInstances])
    }

    @Test func anOldOrphanNeverConnectedIsDeletedOnItsServer() throws {
        tenants.seed(alice, .empty)
        one.scriptFetchInstances(.success([summary(alice, createdAt: Self.longAgo)]))
        one.scriptConnectionState(.success(.close))
        one.scriptDelete(.success(()))
        two.scriptFetchInstances(.success([]))

        let report = try reconciler().run(ReconcileOptions())

        #expect(kinds(report) == [.deletedOrphan])
        #expect(
            one.calls == [.fetchInstances, .connectionState(alice.instanceName), .deleteInstance(alice.instanceName)])
        #expect(two.calls == [.fetchInstances])
        #expect(tenants.row(of: alice)?.instanceName == nil)
    }

    @Test func aStoredInstanceNeverConnectedIsExpiredButAnOpenOneNever() throws {
        var stale = Row(instanceName: alice.instanceName, status: .close, createdAt: "x", server: s1)
        stale.instanceAgeMilliseconds = 2 * 86_400_000
        tenants.seed(alice, stale)
        var open = Row(instanceName: bob.instanceName, status: .open, createdAt: "x", server: s1)
        open.instanceAgeMilliseconds = 2 * 86_400_000
        tenants.seed(bob, open)
        one.scriptFetchInstances(.success([summary(alice), summary(bob)]))
        // alice is asked (close), bob too (open: left alone).
        one.scriptConnectionState(.success(.close), .success(.open))
        one.scriptDelete(.success(()))
        two.scriptFetchInstances(.success([]))

        let report = try reconciler().run(ReconcileOptions())

        #expect(kinds(report) == [.expired])
        #expect(tenants.row(of: alice)?.instanceName == nil)
        #expect(tenants.row(of: alice)?.lastDisconnection?.reason == .expired)
        #expect(tenants.row(of: bob)?.instanceName == bob.instanceName)
        #expect(!one.calls.contains(.deleteInstance(bob.instanceName)))
    }

    @Test func anUnknownTenantsInstanceIsReportedAndDeletedOnlyWhenAsked() throws {
        let ghost = TenantID("ghost")!
        one.scriptFetchInstances(.success([summary(ghost)]), .success([summary(ghost)]))
        two.scriptFetchInstances(.success([]), .success([]))
        one.scriptDelete(.success(()))

        let reported = try reconciler().run(ReconcileOptions())
        #expect(kinds(reported) == [.unknownTenant])
        #expect(!one.calls.contains(.deleteInstance(ghost.instanceName)))

        let deleted = try reconciler().run(ReconcileOptions(deleteUnknownTenants: true))
        #expect(kinds(deleted) == [.unknownTenant])
        #expect(one.calls.last == .deleteInstance(ghost.instanceName))
    }

    @Test func aBusyTenantIsSkipped() throws {
        tenants.seed(alice, Row(instanceName: alice.instanceName, status: .open, createdAt: "x", server: s1))
        lock.answer = .held
        one.scriptFetchInstances(.success([]))
        two.scriptFetchInstances(.success([]))

        let report = try reconciler().run(ReconcileOptions())

        #expect(kinds(report) == [.skippedBusy])
        #expect(tenants.row(of: alice)?.instanceName == alice.instanceName)
    }

    @Test func aServerThatDoesNotAnswerIsReportedAndItsTenantsLeftAsTheyAre() throws {
        tenants.seed(alice, Row(instanceName: alice.instanceName, status: .open, createdAt: "x", server: s1))
        tenants.seed(bob, Row(instanceName: bob.instanceName, status: .open, createdAt: "x", server: s2))
        one.scriptFetchInstances(.failure(.unreachable(curlCode: 7)))
        two.scriptFetchInstances(.success([]))

        let report = try reconciler().run(ReconcileOptions())

        #expect(kinds(report) == [.serverUnreachable, .clearedGone])
        #expect(report.actions.first?.server == "s1")
        #expect(tenants.row(of: alice)?.instanceName == alice.instanceName)
        #expect(tenants.row(of: bob)?.instanceName == nil)
    }

    @Test func whenNoServerAnswersReconcileFailsAndChangesNothing() throws {
        tenants.seed(alice, Row(instanceName: alice.instanceName, status: .open, createdAt: "x", server: s1))
        one.scriptFetchInstances(.failure(.timeout))
        two.scriptFetchInstances(.failure(.unreachable(curlCode: 7)))

        #expect(throws: ReconcileError.self) { try reconciler().run(ReconcileOptions()) }
        #expect(tenants.row(of: alice)?.instanceName == alice.instanceName)
        #expect(lock.attempts.isEmpty)
    }

    @Test func aDisabledServerGetsNoCallAndItsTenantsAreLeftAlone() throws {
        tenants.seed(alice, Row(instanceName: alice.instanceName, status: .open, createdAt: "x", server: s1))
        two.scriptFetchInstances(.success([]))

        let report = try reconciler([.disabled, .active]).run(ReconcileOptions())

        #expect(kinds(report) == [.skippedServer])
        #expect(one.calls.isEmpty)
        #expect(tenants.row(of: alice)?.instanceName == alice.instanceName)
    }

    @Test func theSameNameOnTwoServersIsReportedAndNeitherDeletedNorAdopted() throws {
        tenants.seed(alice, .empty)
        one.scriptFetchInstances(.success([summary(alice, createdAt: Self.longAgo)]))
        two.scriptFetchInstances(.success([summary(alice, createdAt: Self.longAgo)]))

        let report = try reconciler().run(ReconcileOptions())

        #expect(kinds(report) == [.duplicateName])
        #expect(one.calls == [.fetchInstances] && two.calls == [.fetchInstances])
        #expect(tenants.row(of: alice) == .empty)
    }

    @Test func aPlaceWithoutAnInstanceIsGivenBack() throws {
        tenants.seed(alice, Row(server: s2))
        one.scriptFetchInstances(.success([]))
        two.scriptFetchInstances(.success([]))

        let report = try reconciler().run(ReconcileOptions())

        #expect(kinds(report) == [.releasedPlace])
        #expect(tenants.row(of: alice)?.server == nil)
        #expect(audit.rows == [Audit(.reconcile, "place_released", instance: alice.instanceName)])
    }

    @Test func anInstanceLeftOnAServerThatWasDisabledIsDeletedOnceItAnswers() throws {
        tenants.seed(alice, Row(instanceName: alice.instanceName, status: .open, createdAt: "x", server: s2))
        tenants.seedPendingDeletion(alice.instanceName, on: s1, tenant: alice)
        one.scriptFetchInstances(.success([summary(alice)]))
        one.scriptDelete(.success(()))
        two.scriptFetchInstances(.success([summary(alice)]))

        let report = try reconciler().run(ReconcileOptions())

        #expect(kinds(report) == [.deletedPending])
        #expect(one.calls.last == .deleteInstance(alice.instanceName))
        #expect(!two.calls.contains(.deleteInstance(alice.instanceName)))
        #expect(tenants.pendingDeletionNames.isEmpty)
        #expect(tenants.row(of: alice)?.instanceName == alice.instanceName)
    }

    @Test func aLeftBehindInstanceThatIsTheTenantsOwnAgainIsForgottenNotDeleted() throws {
        tenants.seed(alice, Row(instanceName: alice.instanceName, status: .open, createdAt: "x", server: s1))
        tenants.seedPendingDeletion(alice.instanceName, on: s1, tenant: alice)
        one.scriptFetchInstances(.success([summary(alice)]))
        two.scriptFetchInstances(.success([]))

        let report = try reconciler().run(ReconcileOptions())

        #expect(report.actions.isEmpty)
        #expect(!one.calls.contains(.deleteInstance(alice.instanceName)))
        #expect(tenants.pendingDeletionNames.isEmpty)
    }
}
