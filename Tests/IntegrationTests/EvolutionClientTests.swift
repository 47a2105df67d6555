import Foundation
import Testing

@testable import TenantWhatsApp

/// The Evolution client against the real simulator, through nginx: every operation's shape and every quirk of
/// docs/simulator.md that a client meets.
@Suite("Evolution client", .serialized)
final class EvolutionClientTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    private func client(key: String? = nil, timeoutMilliseconds: Int = 5000) throws -> EvolutionClient {
        try EvolutionClient(
            configuration: EvolutionConfiguration(
                baseURL: sim.baseURL, apiKey: key ?? sim.apiKey, timeoutMilliseconds: timeoutMilliseconds))
    }

    private func uniqueName() -> String { "tenant_" + UUID().uuidString.prefix(8).lowercased() }

    // MARK: - create

    @Test func createReturnsTheInstanceTokenAndARealPNGQRCode() throws {
        let name = uniqueName()
        let created = try client().createInstance(named: name)
        #expect(created.name == name)
        #expect(created.instanceID.count == 36)
        #expect(created.status == .connecting)
        #expect(!created.token.value.isEmpty)
        guard case .qrCode(let qr) = try #require(created.qrCode) else {
            Issue.record("expected a QR code, got \(String(describing: created.qrCode))")
            return
        }
        #expect(qr.count == 1)
        #expect(qr.pairingCode == nil)
        #expect(qr.code?.hasPrefix("2@") == true)
        let png = try #require(
            Data(base64Encoded: String(qr.pngDataURL.dropFirst(EvolutionQRCode.pngDataURLPrefix.count))))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    @Test func createSendsTheContractBodyWithTheKeyOnlyInTheHeader() throws {
        let name = uniqueName()
        _ = try client().createInstance(named: name)
        let call = try #require(try sim.callLog().last)
        #expect(call["method"] as? String == "POST")
        #expect(call["path"] as? String == "/instance/create")
        #expect(call["status"] as? Int == 201)
    }

    @Test func createWithoutAQRCodeYetAnswersPendingThenConnectBringsIt() throws {
        try sim.updateSettings(#"{"qrPendingAnswers":2}"#)
        let evolution = try client()
        let name = uniqueName()
        let created = try evolution.createInstance(named: name)
        #expect(created.qrCode == .qrCodePending)
        #expect(try evolution.connect(instance: name) == .qrCodePending)
        guard case .qrCode(let qr) = try evolution.connect(instance: name) else {
            Issue.record("the third QR-bearing answer should carry the QR code")
            return
        }
        #expect(qr.count == 1)
    }

    @Test func createOfATakenNameIsNameInUse() throws {
        let name = uniqueName()
        _ = try client().createInstance(named: name)
        #expect(throws: EvolutionError.nameInUse) { try self.client().createInstance(named: name) }
    }

    @Test func aTakenNameIsNameInUseEvenWithAWrongKey() throws {
        let name = uniqueName()
        _ = try client().createInstance(named: name)
        // Evolution's name guard runs before its key guard.
        #expect(throws: EvolutionError.nameInUse) { try self.client(key: "wrong-key").createInstance(named: name) }
    }

    // MARK: - connect and state

    @Test func connectAnswersTheQRCodeWhileConnectingAndItRotates() throws {
        let evolution = try client()
        let name = uniqueName()
        _ = try evolution.createInstance(named: name)
        guard case .qrCode(let first) = try evolution.connect(instance: name) else {
            Issue.record("expected a QR code")
            return
        }
        try sim.rotateQRCode(instance: name)
        guard case .qrCode(let second) = try evolution.connect(instance: name) else {
            Issue.record("expected a QR code")
            return
        }
        #expect(second.count == first.count + 1)
        #expect(second.code != first.code)
        #expect(second.pngDataURL != first.pngDataURL)
    }

    @Test func connectionStateFollowsConnectingOpenAndClose() throws {
        let evolution = try client()
        let name = uniqueName()
        _ = try evolution.createInstance(named: name)
        #expect(try evolution.connectionState(instance: name) == .connecting)
        try sim.scan(instance: name)
        #expect(try evolution.connectionState(instance: name) == .open)
        #expect(try evolution.connect(instance: name) == .state(.open))
        try sim.drop(instance: name)
        #expect(try evolution.connectionState(instance: name) == .close)
    }

    @Test func connectOfAClosedInstanceStartsANewSocketWithANewQRCode() throws {
        let evolution = try client()
        let name = uniqueName()
        _ = try evolution.createInstance(named: name)
        try sim.drop(instance: name)
        guard case .qrCode(let qr) = try evolution.connect(instance: name) else {
            Issue.record("expected a QR code")
            return
        }
        #expect(qr.count == 2)
        #expect(try evolution.connectionState(instance: name) == .connecting)
    }

    @Test func unknownInstanceIsNotFound() throws {
        let evolution = try client()
        #expect(throws: EvolutionError.notFound) { try evolution.connectionState(instance: "tenant_nobody") }
        #expect(throws: EvolutionError.notFound) { try evolution.connect(instance: "tenant_nobody") }
        #expect(throws: EvolutionError.notFound) { try evolution.deleteInstance(named: "tenant_nobody") }
    }

    @Test func instanceNamesArePercentEncodedIntoOnePathSegment() throws {
        let evolution = try client()
        let name = "odd name/../x?y"
        _ = try evolution.createInstance(named: name)
        #expect(try evolution.connectionState(instance: name) == .connecting)
        let call = try #require(try sim.callLog().last)
        #expect(call["path"] as? String == "/instance/connectionState/odd%20name%2F..%2Fx%3Fy")
        #expect(call["instance"] as? String == name)
    }

    // MARK: - logout, delete, restart

    @Test func logoutOfAnOpenInstanceThenOfAClosedOneReportsWasNotConnected() throws {
        let evolution = try client()
        let name = uniqueName()
        _ = try evolution.createInstance(named: name)
        try sim.scan(instance: name)
        #expect(try evolution.logout(instance: name) == .loggedOut)
        #expect(try evolution.connectionState(instance: name) == .close)
        // 2.3.x: 400 "The "x" instance is not connected".
        #expect(try evolution.logout(instance: name) == .wasNotConnected)
        #expect(try sim.callLog().last?["status"] as? Int == 400)
    }

    @Test func deleteRemovesTheInstance() throws {
        let evolution = try client()
        let name = uniqueName()
        _ = try evolution.createInstance(named: name)
        try sim.scan(instance: name)
        try evolution.deleteInstance(named: name)
        #expect(throws: EvolutionError.notFound) { try evolution.connectionState(instance: name) }
        _ = try evolution.createInstance(named: name)
    }

    @Test func aDeletedNameStaysInUseWhileEvolutionCleansUp() throws {
        try sim.updateSettings(#"{"deleteCleanupMs":60000}"#)
        let evolution = try client()
        let name = uniqueName()
        _ = try evolution.createInstance(named: name)
        try evolution.deleteInstance(named: name)
        #expect(throws: EvolutionError.nameInUse) { try evolution.createInstance(named: name) }
    }

    // MARK: - fetchInstances

    @Test func fetchInstancesListsEveryInstanceOrTheOneNamed() throws {
        let evolution = try client()
        let first = uniqueName()
        let second = uniqueName()
        _ = try evolution.createInstance(named: first)
        _ = try evolution.createInstance(named: second)
        try sim.scan(instance: second)
        let all = try evolution.fetchInstances()
        #expect(all.map(\.name) == [first, second])
        let one = try #require(try evolution.fetchInstances(named: second).first)
        #expect(one.connectionStatus == .open)
        #expect(one.ownerJID?.hasSuffix("@s.whatsapp.net") == true)
        #expect(one.integration == "WHATSAPP-BAILEYS")
        #expect(throws: EvolutionError.notFound) { try evolution.fetchInstances(named: "tenant_nobody") }
    }

    // MARK: - Our key

    @Test func aWrongKeyIsUnauthorizedOnEveryOperation() throws {
        let name = uniqueName()
        _ = try client().createInstance(named: name)
        let wrong = try client(key: "not-the-key")
        #expect(throws: EvolutionError.unauthorized) { try wrong.createInstance(named: self.uniqueName()) }
        #expect(throws: EvolutionError.unauthorized) { try wrong.connect(instance: name) }
        #expect(throws: EvolutionError.unauthorized) { try wrong.connectionState(instance: name) }
        #expect(throws: EvolutionError.unauthorized) { try wrong.logout(instance: name) }
        #expect(throws: EvolutionError.unauthorized) { try wrong.deleteInstance(named: name) }
        #expect(throws: EvolutionError.unauthorized) { try wrong.fetchInstances() }
    }

    @Test func theInstanceTokenWorksAsTheKeyForItsOwnInstance() throws {
        let name = uniqueName()
        let created = try client().createInstance(named: name)
        _ = try client().createInstance(named: uniqueName())
        let own = try client(key: created.token.value)
        #expect(try own.connectionState(instance: name) == .connecting)
        #expect(try own.fetchInstances().map(\.name) == [name])
        #expect(throws: EvolutionError.unauthorized) { try own.createInstance(named: self.uniqueName()) }
    }

    // MARK: - Secrets

    @Test func noLogLineOfTheSimulatorOrItsNginxCarriesAKey() throws {
        let evolution = try client()
        let name = uniqueName()
        let created = try evolution.createInstance(named: name)
        let wrongKey = "wrong-key-" + UUID().uuidString
        _ = try? client(key: wrongKey).connectionState(instance: name)
        _ = try client(key: created.token.value).connectionState(instance: name)
        try sim.scan(instance: name)
        _ = try evolution.logout(instance: name)
        try Wait.until("the simulator logged the logout") { self.sim.allLogText().contains("/instance/logout/") }
        let logs = sim.allLogText()
        #expect(logs.contains(name))
        #expect(!logs.contains(sim.apiKey))
        #expect(!logs.contains(wrongKey))
        #expect(!logs.contains(created.token.value))
    }
}
