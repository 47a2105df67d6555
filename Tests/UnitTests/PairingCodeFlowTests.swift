import JSON
import Testing

@testable import TenantWhatsApp

/// `POST …/connect` with `{"number":"…"}` through in-memory fakes: the number's rules (refused, never cleaned,
/// touching nothing), the pairing code of a created, reused or adopted instance, a socket already running restarted
/// for this number, the 202 when no code comes in time, and the number kept out of every record.
@Suite("Pairing code flow")
struct PairingCodeFlowTests {
    private typealias Tenants = FakeTenantRepository
    private typealias Audit = FakeAuditRecorder.Row
    private static let number = "5511999999999"
    private static let json = #"{"number":"5511999999999"}"#
    private let tenant = FlowTestKit.tenant
    private let name = FlowTestKit.instance
    private let kit: FlowTestKit

    /// A QR object of pairing-code mode, as Evolution answers it.
    private static let pairingQRCode = EvolutionQRCode(
        pngDataURL: FakeEvolution.qrCode.pngDataURL, code: "2@abc", pairingCode: "WZYEH1YY", count: 1)
    /// The same code as the answer shows it.
    private static let formatted = "WZYE-H1YY"

    init() throws {
        kit = try FlowTestKit()
    }

    private func connect(_ body: String = PairingCodeFlowTests.json) -> RouteAnswer {
        kit.connect(body: body, contentType: "application/json")
    }

    private func body(_ message: String, qrCode: String?, pairingCode: String?, createdAt: String) -> JSONValue {
        .object([
            ("success", true), ("instanceName", .string(name)), ("qrcode", .string(orNull: qrCode)),
            ("pairingCode", .string(orNull: pairingCode)), ("message", .string(message)),
            ("data", ["tenantId": "t1", "instanceName": .string(name), "createdAt": .string(createdAt)]),
        ])
    }

    private func expectCleanEnd() {
        #expect(kit.evolution.deadlines.allSatisfy { $0 == kit.operationDeadline })
        #expect(kit.lock.granted.count == 1)
        #expect(kit.lock.releases == kit.lock.granted)
        #expect(kit.tenantLimiter.holders(of: tenant) == 0)
        #expect(kit.evolution.scriptedLeft == 0)
    }

    // MARK: - The number

    @Test(arguments: [
        #"{"number":"+5511999999999"}"#, #"{"number":"55 11 99999 9999"}"#, #"{"number":"55-11-99999-9999"}"#,
        #"{"number":"(55)11999999999"}"#, #"{"number":"551199999"}"#, #"{"number":"5511999999999999"}"#,
        #"{"number":""}"#, #"{"number":"55119999999a9"}"#, #"{"number":"５５１１９９９９９９９９９"}"#,
        #"{"number":5511999999999}"#, #"{"number":null}"#, #"{"number":["5511999999999"]}"#,
        #"{"number":{"n":"5511999999999"}}"#, #"{"number":true}"#, #"{"number":" 5511999999999"}"#,
        #"{"number":"5511999999999\n"}"#,
    ])
    func aNumberThatIsNotTenToFifteenDigitsIs400InvalidNumberTouchingNothing(body: String) {
        kit.tenants.seed(tenant, .empty)

        let answer = connect(body)

        #expect(answer.status == 400)
        #expect(answer.body == RouteAnswer.envelope(.invalidNumber))
        #expect(kit.touchedNothing, "\(kit)")
        #expect(!answer.body.serializedString().contains("999999"))
    }

    @Test(arguments: ["5511999999", "551199999999999", "14155550123"])
    func tenToFifteenDigitsAreANumber(number: String) {
        #expect(PairingNumber(number)?.digits == number)
    }

    @Test func aNumberShowsOnlyItsLastFourDigits() {
        let number = PairingNumber(Self.number)
        #expect(number?.description == "…9999")
        #expect(number?.lastFourDigits == "9999")
        #expect("\(String(describing: number))".contains("551199") == false)
    }

    @Test(arguments: [("WZYEH1YY", "WZYE-H1YY"), ("wzyeh1yy", "WZYE-H1YY"), ("WZYE-H1YY", "WZYE-H1YY")])
    func evolutionsPairingCodeIsShownInTwoGroupsOfFour(evolution: String, shown: String) {
        #expect(PairingCode(evolution: evolution)?.formatted == shown)
    }

    @Test(arguments: ["", "ABC", "ABCDEFGHI", "ABCD EFGH", "ABCD--EFG", "ABCDEFG-H", "-ABCDEFGH", "ABCDÉFGH"])
    func anythingElseIsNotAPairingCode(evolution: String) {
        #expect(PairingCode(evolution: evolution) == nil)
    }

    @Test func aPairingCodeBeforeItsImageIsDecodedAsSuch() throws {
        let json = try JSONParser().parse(Array(#"{"pairingCode":"WZYEH1YY","count":1}"#.utf8))
        #expect(try EvolutionResponseDecoder.connectResult(from: json, field: "$") == .pairingCode("WZYEH1YY"))
        let qrMode = try JSONParser().parse(Array(#"{"pairingCode":null,"count":0}"#.utf8))
        #expect(try EvolutionResponseDecoder.connectResult(from: qrMode, field: "$") == .qrCodePending)
    }

    @Test func aBodyWithoutNumberStaysAQRCodeConnect() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name)))

        let answer = connect(#"{"other":"5511999999999"}"#)

        #expect(answer.status == 201)
        #expect(answer.body["pairingCode"] == nil)
        #expect(kit.evolution.calls == [.createInstance(name)])
    }

    // MARK: - Created, reused, adopted

    @Test func aNewInstanceIsCreatedWithTheNumberAndAnswers201WithThePairingCode() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: .qrCode(Self.pairingQRCode))))

        let answer = connect()

        #expect(answer.status == 201)
        #expect(
            answer.body
                == body(
                    WhatsAppResponses.pairingCreatedMessage, qrCode: FakeEvolution.qrCode.pngDataURL,
                    pairingCode: Self.formatted, createdAt: Tenants.attachedAt))
        #expect(kit.evolution.calls == [.createInstanceForPairing(name, number: Self.number)])
        #expect(kit.audit.rows == [Audit(.connect, "created", instance: name)])
        expectCleanEnd()
    }

    @Test func aCreateWithoutTheCodeYetPollsConnectWithTheNumberUntilItComes() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: .qrCodePending)))
        // A QR code of the old mode is not taken; a pairing code before its image is.
        kit.evolution.scriptConnect(
            .success(.qrCodePending), .success(.qrCode(FakeEvolution.qrCode)), .success(.pairingCode("WZYEH1YY")))

        let answer = connect()

        #expect(answer.status == 201)
        #expect(
            answer.body
                == body(
                    WhatsAppResponses.pairingCreatedMessage, qrCode: nil, pairingCode: Self.formatted,
                    createdAt: Tenants.attachedAt))
        #expect(
            kit.evolution.calls
                == [.createInstanceForPairing(name, number: Self.number)]
                + Array(repeating: .connectForPairing(name, number: Self.number), count: 3))
        #expect(kit.clock.pauses == [.milliseconds(500), .milliseconds(500)])
        expectCleanEnd()
    }

    @Test func noCodeWithinTheWaitIs202WithRetryAfterAndANullPairingCode() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(name, qrCode: .qrCodePending)))
        kit.evolution.scriptConnect(Array(repeating: .success(.qrCode(FakeEvolution.qrCode)), count: 4))

        let answer = connect()

        #expect(answer.status == 202)
        #expect(answer.retryAfter == "3")
        #expect(
            answer.body
                == body(
                    WhatsAppResponses.pairingPendingMessage, qrCode: nil, pairingCode: nil,
                    createdAt: Tenants.attachedAt))
        #expect(kit.tenants.row(of: tenant)?.instanceName == name)
        #expect(kit.audit.rows == [Audit(.connect, "qr_pending", instance: name)])
        expectCleanEnd()
    }

    @Test func aStoredClosedInstanceIsAskedForAPairingCodeWithTheNumber() {
        kit.tenants.seed(tenant, .instance(name, .close))
        kit.evolution.scriptConnectionState(.success(.close))
        kit.evolution.scriptConnect(.success(.qrCode(Self.pairingQRCode)))

        let answer = connect()

        #expect(answer.status == 200)
        #expect(
            answer.body
                == body(
                    WhatsAppResponses.pairingReusedMessage, qrCode: FakeEvolution.qrCode.pngDataURL,
                    pairingCode: Self.formatted, createdAt: Tenants.seededAt))
        #expect(kit.evolution.calls == [.connectionState(name), .connectForPairing(name, number: Self.number)])
        #expect(
            kit.audit.rows
                == [Audit(.stateChange, "connecting", instance: name), Audit(.connect, "reused", instance: name)])
        expectCleanEnd()
    }

    @Test func aStoredConnectingInstanceIsLoggedOutThenAskedWithTheNumber() {
        // Evolution heeds `number` only in `close`: the running socket (QR mode, or another number) ends first.
        kit.tenants.seed(tenant, .instance(name, .connecting))
        kit.evolution.scriptConnectionState(.success(.connecting))
        kit.evolution.scriptLogout(.success(.loggedOut))
        kit.evolution.scriptConnect(.success(.qrCode(Self.pairingQRCode)))

        let answer = connect()

        #expect(answer.status == 200)
        #expect(answer.body["pairingCode"] == .string(Self.formatted))
        #expect(
            kit.evolution.calls == [
                .connectionState(name), .logout(name), .connectForPairing(name, number: Self.number),
            ])
        #expect(kit.audit.rows == [Audit(.connect, "reused", instance: name)])
        expectCleanEnd()
    }

    @Test func anInstanceOfItsNameAlreadyUpstreamIsAdoptedWithAPairingCode() {
        kit.tenants.seed(tenant, .empty)
        kit.evolution.scriptCreate(.failure(.nameInUse))
        kit.evolution.scriptConnectionState(.success(.connecting))
        kit.evolution.scriptLogout(.success(.wasNotConnected))
        kit.evolution.scriptConnect(.success(.qrCode(Self.pairingQRCode)))

        let answer = connect()

        #expect(answer.status == 200)
        #expect(answer.body["pairingCode"] == .string(Self.formatted))
        #expect(
            kit.evolution.calls == [
                .createInstanceForPairing(name, number: Self.number), .connectionState(name), .logout(name),
                .connectForPairing(name, number: Self.number),
            ])
        #expect(kit.audit.rows == [Audit(.connect, "adopted", instance: name)])
        expectCleanEnd()
    }

    // MARK: - Failures

    @Test func aPhoneThatConnectsDuringTheWaitIs409AlreadyConnected() {
        kit.tenants.seed(tenant, .instance(name, .close))
        kit.evolution.scriptConnectionState(.success(.close))
        kit.evolution.scriptConnect(.success(.qrCodePending), .success(.state(.open)))

        let answer = connect()

        #expect(answer.status == 409)
        #expect(answer.error == "already_connected")
        #expect(kit.tenants.row(of: tenant)?.status == .open)
        expectCleanEnd()
    }

    @Test func aPairingCodeThatIsNotEightCharactersIs502UpstreamBadResponse() {
        kit.tenants.seed(tenant, .instance(name, .close))
        kit.evolution.scriptConnectionState(.success(.close))
        kit.evolution.scriptConnect(.success(.pairingCode("12")))

        let answer = connect()

        #expect(answer.status == 502)
        #expect(answer.error == "upstream_bad_response")
        #expect(kit.audit.rows == [Audit(.connect, "failed", error: .upstreamBadResponse)])
        expectCleanEnd()
    }

    @Test func aLogoutThatFailsIsTheUpstreamFailure() {
        kit.tenants.seed(tenant, .instance(name, .connecting))
        kit.evolution.scriptConnectionState(.success(.connecting))
        kit.evolution.scriptLogout(.failure(.timeout))

        let answer = connect()

        #expect(answer.status == 504)
        #expect(answer.error == "upstream_timeout")
        #expect(kit.evolution.calls == [.connectionState(name), .logout(name)])
        expectCleanEnd()
    }

    // MARK: - With webhooks

    @Test func withWebhooksAPushedQRCodeIsNotAnsweredForAPairingRequest() throws {
        var settings = FlowSettings(qrWait: .seconds(2), upstreamTimeout: .seconds(1))
        settings.webhooks = true
        let kit = try FlowTestKit(settings: settings)
        var row = Tenants.Row.instance(name, .close)
        row.qrCode = "data:image/png;base64,cHVzaGVk"
        kit.tenants.seed(tenant, row)
        kit.evolution.scriptConnectionState(.success(.close))
        kit.evolution.scriptConnect(.success(.qrCode(Self.pairingQRCode)))

        let answer = kit.connect(body: Self.json, contentType: "application/json")

        #expect(answer.status == 200)
        #expect(answer.body["pairingCode"] == .string(Self.formatted))
        #expect(!kit.tenants.calls.contains(.pushedQRCode))
        #expect(kit.evolution.calls == [.connectionState(name), .connectForPairing(name, number: Self.number)])
    }
}
