import JSON
import Testing

@testable import TenantWhatsApp

/// `POST …/connect` through in-memory fakes: how the tenant gets its instance (created, reused, adopted), its QR
/// code (at once, after polls, or not in time) and when it is already connected.
@Suite("Connect flow")
struct ConnectFlowTests {
    private typealias Tenants = FakeTenantRepository
    private typealias Row = FakeTenantRepository.Row
    private typealias Audit = FakeAuditRecorder.Row
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private let qrCode = JSONValue.string(FakeEvolution.qrCode.pngDataURL)
    private let kit: FlowTestKit

    init() throws {
        kit = try FlowTestKit()
    }

    private func body(_ message: String, qrCode: JSONValue, createdAt: String) -> JSONValue {
        [
            "success": true, "instanceName": .string(name), "qrcode": qrCode, "message": .string(message),
            "data": ["tenantId": "t1", "instanceName": .string(name), "createdAt": .string(createdAt)],
        ]
    }

    /// Every upstream call got the operation's deadline, the lease was taken once and given back, and the tenant's
    /// cap holds nobody.
    private func expectCleanEnd() {
        #expect(kit.evolution.deadlines.allSatisfy { $0 == kit.operationDeadline })
        #expect(kit.lock.attempts == [tenant])
        #expect(kit.lock.requestedDurations == [kit.settings.leaseDuration])
        #expect(kit.lock.granted.count == 1)
        #expect(kit.lock.releases == kit.lock.granted)
        #expect(kit.tenantLimiter.holders(of: tenant) == 0)
        #expect(kit.evolution.scriptedLeft == 0)
    }

    @Test func aNewInstanceIs201WithTheQRCodeOfTheCreateAnswer() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))

        let answer = kit.connect()

        #expect(answer.status == 201)
        #expect(answer.body == body(WhatsAppResponses.createdMessage, qrCode: qrCode, createdAt: Tenants.attachedAt))
        #expect(kit.evolution.calls == [.createInstance(name)])
        #expect(kit.clock.pauses.isEmpty)
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.tenants.row(of: tenant)?.status == .connecting)
        #expect(kit.audit.rows == [Audit(.connect, "created", instance: name)])
        expectCleanEnd()
    }

    @Test(arguments: [EvolutionConnectResult.qrCodePending, nil])
    func aCreateWithoutQRCodeYetPollsConnectUntilItComes(createQRCode: EvolutionConnectResult?) {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: createQRCode)))
        kit.evolution.scriptConnect(
            .success(.qrCodePending), .success(.qrCodePending), .success(.qrCode(FakeEvolution.qrCode)))

        let answer = kit.connect()

        #expect(answer.status == 201)
        #expect(answer.body == body(WhatsAppResponses.createdMessage, qrCode: qrCode, createdAt: Tenants.attachedAt))
        #expect(kit.evolution.calls == [.createInstance(name), .connect(name), .connect(name), .connect(name)])
        #expect(kit.clock.pauses == [.milliseconds(500), .milliseconds(500)])
        #expect(kit.evolution.callTimes == [.zero, .zero, .milliseconds(500), .milliseconds(1000)])
        #expect(kit.audit.rows == [Audit(.connect, "created", instance: name)])
        expectCleanEnd()
    }

    @Test func noQRCodeWithinTheWaitIs202WithRetryAfterAndTheInstanceKept() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: .qrCodePending)))
        kit.evolution.scriptConnect(Array(repeating: .success(.qrCodePending), count: 4))

        let answer = kit.connect()

        #expect(answer.status == 202)
        #expect(answer.retryAfter == "3")
        #expect(answer.body == body(WhatsAppResponses.qrPendingMessage, qrCode: nil, createdAt: Tenants.attachedAt))
        #expect(kit.evolution.calls == [.createInstance(name)] + Array(repeating: .connect(name), count: 4))
        #expect(kit.clock.pauses == Array(repeating: .milliseconds(500), count: 3))
        #expect(kit.clock.elapsed < kit.settings.qrWait)
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.audit.rows == [Audit(.connect, "qr_pending", instance: name)])
        expectCleanEnd()
    }

    @Test(arguments: [
        (EvolutionConnectionState.close, EvolutionConnectionState.close), (.connecting, .connecting),
        (.connecting, .close),
    ])
    func aStoredInstanceNotConnectedIsReusedWithAFreshQRCode(
        stored: EvolutionConnectionState, observed: EvolutionConnectionState
    ) {
        kit.tenants.seed(tenant, .instance(name, stored))
        kit.evolution.scriptConnectionState(.success(observed))
        kit.evolution.scriptConnect(.success(.qrCode(FakeEvolution.qrCode)))

        let answer = kit.connect()

        #expect(answer.status == 200)
        #expect(answer.body == body(WhatsAppResponses.reusedMessage, qrCode: qrCode, createdAt: Tenants.seededAt))
        #expect(kit.evolution.calls == [.connectionState(name), .connect(name)])
        // A closed instance handed a QR code is connecting again: recorded before the connect's own row.
        #expect(
            kit.tenants.row(of: tenant)
                == Row(
                    instanceName: name, status: .connecting, createdAt: Tenants.seededAt,
                    checkedAt: Tenants.checkedAt))
        let stateChange = stored == observed ? [] : [Audit(.stateChange, observed.rawValue, instance: name)]
        let reopened = observed == .close ? [Audit(.stateChange, "connecting", instance: name)] : []
        #expect(kit.audit.rows == stateChange + reopened + [Audit(.connect, "reused", instance: name)])
        expectCleanEnd()
    }

    @Test(arguments: [EvolutionConnectionState.open, .connecting])
    func aStoredInstanceThatIsOpenIs409AlreadyConnectedAndTheStateRecorded(stored: EvolutionConnectionState) {
        kit.tenants.seed(tenant, .instance(name, stored))
        kit.evolution.scriptConnectionState(.success(.open))

        let answer = kit.connect()

        #expect(answer.status == 409)
        #expect(answer.body == RouteAnswer.envelope(.alreadyConnected))
        #expect(kit.evolution.calls == [.connectionState(name)])
        #expect(kit.tenants.row(of: tenant)?.status == .open)
        #expect(kit.tenants.row(of: tenant)?.checkedAt == Tenants.checkedAt)
        let stateChange = stored == .open ? [] : [Audit(.stateChange, "open", instance: name)]
        #expect(
            kit.audit.rows
                == stateChange + [Audit(.connect, "already_connected", error: .alreadyConnected, instance: name)])
        expectCleanEnd()
    }

    @Test func aPhoneThatConnectsDuringTheQRWaitIs409AndRecordedOpen() {
        kit.tenants.seed(tenant, .instance(name, .close))
        kit.evolution.scriptConnectionState(.success(.close))
        kit.evolution.scriptConnect(.success(.qrCodePending), .success(.state(.open)))

        let answer = kit.connect()

        #expect(answer.status == 409)
        #expect(answer.error == "already_connected")
        #expect(kit.evolution.calls == [.connectionState(name), .connect(name), .connect(name)])
        #expect(kit.clock.pauses == [.milliseconds(500)])
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.tenants.row(of: tenant)?.status == .open)
        #expect(
            kit.audit.rows == [
                Audit(.stateChange, "open", instance: name),
                Audit(.connect, "already_connected", error: .alreadyConnected, instance: name),
            ])
        expectCleanEnd()
    }

    @Test func aStoredInstanceGoneUpstreamIsCreatedAgain() {
        kit.tenants.seed(tenant, .instance(name, .close))
        kit.evolution.scriptConnectionState(.failure(.notFound))
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))

        let answer = kit.connect()

        #expect(answer.status == 201)
        #expect(answer.body == body(WhatsAppResponses.createdMessage, qrCode: qrCode, createdAt: Tenants.attachedAt))
        #expect(kit.evolution.calls == [.connectionState(name), .createInstance(name)])
        #expect(
            kit.tenants.row(of: tenant)
                == Row(
                    instanceName: name, status: .connecting, createdAt: Tenants.attachedAt,
                    checkedAt: Tenants.attachedAt, generation: "generation-\(name)", server: .implicitDefault))
        #expect(kit.audit.rows == [Audit(.connect, "created", instance: name)])
        expectCleanEnd()
    }

    @Test func anInstanceOfItsNameAlreadyUpstreamIsAdoptedNotDeleted() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.failure(.nameInUse))
        kit.evolution.scriptConnectionState(.success(.close))
        kit.evolution.scriptConnect(.success(.qrCode(FakeEvolution.qrCode)))

        let answer = kit.connect()

        #expect(answer.status == 200)
        #expect(answer.body == body(WhatsAppResponses.reusedMessage, qrCode: qrCode, createdAt: Tenants.attachedAt))
        #expect(kit.evolution.calls == [.createInstance(name), .connectionState(name), .connect(name)])
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.tenants.row(of: tenant)?.status == .connecting)
        #expect(
            kit.audit.rows
                == [Audit(.stateChange, "connecting", instance: name), Audit(.connect, "adopted", instance: name)])
        expectCleanEnd()
    }

    @Test func anAdoptedInstanceThatIsOpenIsStoredAndAnswered409() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.failure(.nameInUse))
        kit.evolution.scriptConnectionState(.success(.open))

        let answer = kit.connect()

        #expect(answer.status == 409)
        #expect(answer.body == RouteAnswer.envelope(.alreadyConnected))
        #expect(kit.evolution.calls == [.createInstance(name), .connectionState(name)])
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.tenants.row(of: tenant)?.status == .open)
        #expect(kit.audit.rows == [Audit(.connect, "already_connected", error: .alreadyConnected, instance: name)])
        expectCleanEnd()
    }
}
