import Postgres
import Runtime
import Testing

@testable import TenantWhatsApp

/// The rules every ``TenantRepository`` keeps, as cases run against the in-memory fake (UnitTests) and against
/// PostgreSQL (IntegrationTests), so that the fake cannot drift from the SQL it stands for.
///
/// This one file is linked into both test targets (`Tests/UnitTests/Contract` and `Tests/IntegrationTests/Contract`
/// are symbolic links to `Tests/Shared`): a test target cannot depend on another.
enum TenantRepositoryContract: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case anUnknownTenantIsNotFound
    case anAttachedInstanceIsFoundWithItsStateAndServer
    case aPlaceIsKeptByTheTenantAndGivenBackWhileNoInstanceIsStored
    case aPlaceWithAnInstanceIsNotGivenBack
    case aStateIsRecordedOnlyForTheStoredNameAndGeneration
    case aRecordedStateTellsThePreviousOne
    case onlyTheNamedInstanceIsDetachedAndItsPlaceWithIt
    case aPushedEventOlderThanTheLastAppliedChangesNothing
    case aPushedQRCodeIsShownUntilTheInstanceOpens
    case aPushedEventFromBeforeTheInstanceWasCreatedChangesNothing
    case aRemovalDetachesOnlyTheInstanceItConcerns
    case aStoredEventTimeFarAheadOfTheClockOrdersNothing
    case anOpenStoresItsAccountAndANewConnectClearsIt
    case aClosesCodeReplacesALogoutButALaterLogoutOrRemovalDoesNot
    case anOpenClearsTheLastDisconnection
    case aRemovalWithoutAReasonIsRemovedAndOurDetachIsTheUser
    case aReusedInstanceForgetsItsAccountAndLastDisconnection
    case ourDetachAfterEvolutionsRemovalStillRecordsTheUser
    case aCheckStoresTheAccountItLearnedWithTheStateAndTellsWhatTheRowHolds
    case aCloseIsTimedFromWhenItBeganUntilTheStateChanges
    case aCheckRecordsALostConnectionOnlyWhenNoReasonIsRecordedForTheDrop

    var testDescription: String { rawValue }

    /// A fresh repository holding the tenants `t1` and `t2` without instances.
    typealias Make = @Sendable () throws -> any TenantRepository

    static let t1 = TenantID("t1")!
    static let t2 = TenantID("t2")!
    static let audit = AuditEntry(
        tenant: t1, action: .stateChange, outcome: "x", errorCode: nil, instanceName: nil, requestID: "contract",
        duration: .zero)

    /// Runs this case on a repository `make` gives.
    func run(_ make: Make) throws {
        let repository = try make()
        let t1 = Self.t1
        let name = t1.instanceName
        let server = EvolutionServerID.implicitDefault
        switch self {
        case .anUnknownTenantIsNotFound:
            #expect(try repository.find(TenantID("nobody")!) == nil)
            #expect(try repository.find(t1)?.instanceName == nil)
        case .anAttachedInstanceIsFoundWithItsStateAndServer:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            let record = try #require(try repository.find(t1))
            #expect(record.instanceName == name)
            #expect(record.status == .connecting)
            #expect(record.server == server)
            #expect(record.generation != nil)
            #expect(try repository.find(Self.t2)?.instanceName == nil)
        case .aPlaceIsKeptByTheTenantAndGivenBackWhileNoInstanceIsStored:
            let placed = try #require(try repository.place(t1))
            #expect(try repository.place(t1) == placed)
            #expect(try repository.find(t1)?.server == placed)
            #expect(try repository.releasePlacement(of: t1, on: placed))
            #expect(try repository.find(t1)?.server == nil)
            #expect(try !repository.releasePlacement(of: t1, on: placed))
        case .aPlaceWithAnInstanceIsNotGivenBack:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            #expect(try !repository.releasePlacement(of: t1, on: server))
            #expect(try repository.find(t1)?.server == server)
        case .aStateIsRecordedOnlyForTheStoredNameAndGeneration:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            #expect(
                try repository.recordState(.open, of: "tenant_other", for: t1, generation: nil, changeAudit: Self.audit)
                    == nil)
            #expect(
                try repository.recordState(.open, of: name, for: t1, generation: "stale", changeAudit: Self.audit)
                    == nil)
            #expect(try repository.find(t1)?.status == .connecting)
            let generation = try repository.find(t1)?.generation
            #expect(
                try repository.recordState(.open, of: name, for: t1, generation: generation, changeAudit: Self.audit)
                    != nil)
            #expect(try repository.find(t1)?.status == .open)
        case .aRecordedStateTellsThePreviousOne:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            let first = try repository.recordState(.open, of: name, for: t1, generation: nil, changeAudit: Self.audit)
            #expect(first?.previous == .connecting)
            let second = try repository.recordState(.open, of: name, for: t1, generation: nil, changeAudit: Self.audit)
            #expect(second?.previous == .open)
        case .onlyTheNamedInstanceIsDetachedAndItsPlaceWithIt:
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            #expect(try !repository.detachInstance("tenant_other", from: t1))
            #expect(try !repository.detachInstance(name, from: t1, generation: "stale"))
            #expect(try repository.detachInstance(name, from: t1))
            let record = try #require(try repository.find(t1))
            #expect(record.instanceName == nil && record.status == nil && record.server == nil)
        case .aPushedEventOlderThanTheLastAppliedChangesNothing:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            let earlier = Self.later(Timestamp.now(), by: 1)
            let later = Self.later(earlier, by: 1)
            #expect(
                try repository.recordPushedState(
                    .open, of: name, for: t1, at: later, clearQRCode: false, changeAudit: Self.audit) != nil)
            #expect(
                try repository.recordPushedState(
                    .close, of: name, for: t1, at: earlier, clearQRCode: false, changeAudit: Self.audit) == nil)
            #expect(try !repository.detachRemovedInstance(name, from: t1, at: earlier))
            #expect(try repository.find(t1)?.status == .open)
        case .aPushedQRCodeIsShownUntilTheInstanceOpens:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            let dataURL = "data:image/png;base64,iVBORw0KGgo="
            let now = Timestamp.now()
            #expect(try repository.storePushedQRCode(dataURL, of: name, for: t1, at: now))
            #expect(try repository.pushedQRCode(of: name, for: t1, maximumAge: .seconds(40))?.pngDataURL == dataURL)
            #expect(try repository.pushedQRCode(of: "tenant_other", for: t1, maximumAge: .seconds(40)) == nil)
            _ = try repository.recordPushedState(
                .open, of: name, for: t1, at: now, clearQRCode: false, changeAudit: Self.audit)
            #expect(try repository.pushedQRCode(of: name, for: t1, maximumAge: .seconds(40)) == nil)
            #expect(try !repository.storePushedQRCode(dataURL, of: name, for: t1, at: now))
        case .aPushedEventFromBeforeTheInstanceWasCreatedChangesNothing:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            let createdAt = try #require(try repository.find(t1)?.instanceCreatedAt.flatMap(Timestamp.init(iso8601:)))
            let before = Self.later(createdAt, by: -2)
            #expect(
                try repository.recordPushedState(
                    .open, of: name, for: t1, at: before, clearQRCode: false, changeAudit: Self.audit) == nil)
            #expect(try !repository.storePushedQRCode("data:image/png;base64,x", of: name, for: t1, at: before))
            #expect(try !repository.detachRemovedInstance(name, from: t1, at: before))
            #expect(try repository.find(t1)?.status == .connecting)
            // Within the tolerance (PushedEventRules.creationTolerance), an event is the instance's.
            let justBefore = Timestamp(millisecondsSinceEpoch: createdAt.millisecondsSinceEpoch - 500)
            #expect(
                try repository.recordPushedState(
                    .open, of: name, for: t1, at: justBefore, clearQRCode: false, changeAudit: Self.audit) != nil)
            #expect(try repository.find(t1)?.status == .open)
        case .aRemovalDetachesOnlyTheInstanceItConcerns:
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            let now = Timestamp.now()
            #expect(try !repository.detachRemovedInstance("tenant_other", from: t1, at: now))
            #expect(try repository.detachRemovedInstance(name, from: t1, at: now))
            let record = try #require(try repository.find(t1))
            #expect(record.instanceName == nil && record.status == nil && record.server == nil)
            #expect(try !repository.detachRemovedInstance(name, from: t1, at: now))
        case .aStoredEventTimeFarAheadOfTheClockOrdersNothing:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            let now = Timestamp.now()
            #expect(
                try repository.recordPushedState(
                    .open, of: name, for: t1, at: Self.later(now, by: 3600), clearQRCode: false,
                    changeAudit: Self.audit) != nil)
            #expect(
                try repository.recordPushedState(
                    .close, of: name, for: t1, at: now, clearQRCode: false, changeAudit: Self.audit) != nil)
            #expect(try repository.find(t1)?.status == .close)
        case .anOpenStoresItsAccountAndANewConnectClearsIt:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            let account = ConnectedAccount(jid: "5511987654321@s.whatsapp.net", name: "Loja")
            try push(.open, ConnectionDetail(account: account), at: 0, repository)
            let details = try #require(try repository.find(t1)?.details)
            #expect(details.account == account)
            #expect(details.connectedAt != nil)
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            #expect(try repository.find(t1)?.details == StatusDetails.none)
        case .aClosesCodeReplacesALogoutButALaterLogoutOrRemovalDoesNot:
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            try push(.close, ConnectionDetail(reason: .loggedOut), at: 0, repository)
            #expect(try repository.find(t1)?.details.lastDisconnection?.reason == .loggedOut)
            let restricted = ConnectionDetail(reason: .restricted, code: 403, replacesRecordedReason: true)
            try push(.close, restricted, at: 1, repository)
            try push(.close, ConnectionDetail(reason: .loggedOut), at: 2, repository)
            #expect(try repository.detachRemovedInstance(name, from: t1, at: Self.later(Timestamp.now(), by: 3)))
            let last = try #require(try repository.find(t1)?.details.lastDisconnection)
            #expect(last.reason == .restricted && last.code == 403)
        case .anOpenClearsTheLastDisconnection:
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            let lost = ConnectionDetail(reason: .connectionLost, code: 408, replacesRecordedReason: true)
            try push(.close, lost, at: 0, repository)
            #expect(try repository.find(t1)?.details.lastDisconnection?.reason == .connectionLost)
            try push(.open, .none, at: 1, repository)
            #expect(try repository.find(t1)?.details.lastDisconnection == nil)
        case .aRemovalWithoutAReasonIsRemovedAndOurDetachIsTheUser:
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            #expect(try repository.detachRemovedInstance(name, from: t1, at: Timestamp.now()))
            #expect(try repository.find(t1)?.details.lastDisconnection?.reason == .removed)
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            #expect(
                try repository.detachInstance(name, from: t1, generation: nil, deleteLaterOn: nil, reason: .user))
            #expect(try repository.find(t1)?.details.lastDisconnection?.reason == .user)
        case .aReusedInstanceForgetsItsAccountAndLastDisconnection:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            #expect(try !repository.clearConnectionDetails(of: name, for: t1))
            let account = ConnectedAccount(jid: "5511987654321@s.whatsapp.net", name: nil)
            try push(.open, ConnectionDetail(account: account), at: 0, repository)
            try push(.close, ConnectionDetail(reason: .loggedOut), at: 1, repository)
            #expect(try !repository.clearConnectionDetails(of: "tenant_other", for: t1))
            #expect(try repository.clearConnectionDetails(of: name, for: t1))
            let details = try #require(try repository.find(t1)?.details)
            #expect(details.account == nil && details.lastDisconnection == nil)
        case .ourDetachAfterEvolutionsRemovalStillRecordsTheUser:
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            try push(.close, ConnectionDetail(reason: .loggedOut), at: 0, repository)
            #expect(try repository.detachRemovedInstance(name, from: t1, at: Self.later(Timestamp.now(), by: 1)))
            #expect(
                try !repository.detachInstance(name, from: t1, generation: nil, deleteLaterOn: nil, reason: .user))
            #expect(try repository.find(t1)?.details.lastDisconnection?.reason == .user)
        case .aCheckStoresTheAccountItLearnedWithTheStateAndTellsWhatTheRowHolds:
            _ = try repository.attachInstance(name, on: server, status: .connecting, to: t1)
            let account = ConnectedAccount(jid: "5511987654321@s.whatsapp.net", name: "Loja")
            let recorded = try #require(
                try repository.recordState(
                    .open, of: name, for: t1, generation: nil, detail: ConnectionDetail(account: account),
                    changeAudit: Self.audit))
            #expect(recorded.previous == .connecting)
            #expect(recorded.details.account == account)
            #expect(recorded.details.connectedAt != nil)
            #expect(try repository.find(t1)?.details == recorded.details)
        case .aCloseIsTimedFromWhenItBeganUntilTheStateChanges:
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            #expect(try repository.find(t1)?.closedAgeMilliseconds == nil)
            try check(.close, .none, repository)
            let closedFor = try #require(try repository.find(t1)?.closedAgeMilliseconds)
            #expect((0..<5000).contains(closedFor))
            try check(.connecting, .none, repository)
            #expect(try repository.find(t1)?.closedAgeMilliseconds == nil)
        case .aCheckRecordsALostConnectionOnlyWhenNoReasonIsRecordedForTheDrop:
            _ = try repository.attachInstance(name, on: server, status: .open, to: t1)
            try check(.close, .none, repository)
            let lost = try check(.close, ConnectionDetail(reason: .connectionLost), repository)
            #expect(lost.details.lastDisconnection?.reason == .connectionLost)
            #expect(lost.details.lastDisconnection?.code == nil)
            try check(.open, .none, repository)
            try push(.close, ConnectionDetail(reason: .loggedOut), at: 0, repository)
            let kept = try check(.close, ConnectionDetail(reason: .connectionLost), repository)
            #expect(kept.details.lastDisconnection?.reason == .loggedOut)
        }
    }

    /// Records `status` as a check saw it for t1's instance, with `detail`.
    @discardableResult
    private func check(
        _ status: EvolutionConnectionState, _ detail: ConnectionDetail, _ repository: any TenantRepository
    ) throws -> RecordedState {
        try #require(
            try repository.recordState(
                status, of: Self.t1.instanceName, for: Self.t1, generation: nil, detail: detail,
                changeAudit: Self.audit))
    }

    /// Pushes `status` with `detail` for t1's instance, `seconds` after now.
    private func push(
        _ status: EvolutionConnectionState, _ detail: ConnectionDetail, at seconds: Int64,
        _ repository: any TenantRepository
    ) throws {
        let recorded = try repository.recordPushedState(
            status, of: Self.t1.instanceName, for: Self.t1, at: Self.later(Timestamp.now(), by: seconds),
            clearQRCode: false, detail: detail, changeAudit: Self.audit)
        #expect(recorded != nil)
    }

    /// `time` moved by `seconds` (negative: earlier).
    static func later(_ time: Timestamp, by seconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch + seconds * 1000)
    }
}
