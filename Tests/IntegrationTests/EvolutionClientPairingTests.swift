import Foundation
import Testing

@testable import TenantWhatsApp

/// The Evolution client's pairing-code calls against the real simulator, through nginx: create with `number`, and
/// `/instance/connect/{name}?number=` on a closed instance (docs/simulator.md).
@Suite("Evolution client pairing codes", .serialized)
final class EvolutionClientPairingTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private static let number = "5511987654321"
    private let sim: TestEvolutionSim

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    private func client() throws -> EvolutionClient {
        try EvolutionClient(
            configuration: EvolutionConfiguration(baseURL: sim.baseURL, apiKey: sim.apiKey, timeoutMilliseconds: 5000))
    }

    private func uniqueName() -> String { "tenant_" + UUID().uuidString.prefix(8).lowercased() }

    @Test func createWithANumberSendsItAndAnswersAPairingCodeWithTheQRCode() throws {
        let name = uniqueName()
        let created = try client().createInstance(named: name, number: Self.number)
        guard case .qrCode(let qrCode) = try #require(created.qrCode) else {
            Issue.record("no QR object: \(String(describing: created.qrCode))")
            return
        }
        #expect(qrCode.pairingCode?.count == 8)
        #expect(qrCode.pngDataURL.hasPrefix(EvolutionQRCode.pngDataURLPrefix))
        #expect(try client().fetchInstances(named: name).first?.name == name)
        let fetched = try sim.sendWithKey("GET", "/instance/fetchInstances?instanceName=\(name)")
        let rows = try JSONSerialization.jsonObject(with: fetched.body) as? [[String: Any]]
        #expect(rows?.first?["number"] as? String == Self.number)
    }

    @Test func connectWithANumberOnAClosedInstanceAnswersAFreshPairingCode() throws {
        let name = uniqueName()
        let evolution = try client()
        _ = try evolution.createInstance(named: name)
        _ = try evolution.logout(instance: name)
        guard case .qrCode(let first) = try evolution.connect(instance: name, number: Self.number) else {
            Issue.record("no QR object")
            return
        }
        #expect(first.pairingCode?.count == 8)
        // nginx logs a request once its answer is sent: the line may follow the answer by a moment.
        try Wait.until("the simulator's nginx logged the connect with the number") {
            try sim.accessLog().compactMap { $0["uri"] as? String }
                .contains("/instance/connect/\(name)?number=\(Self.number)")
        }

        // Connecting: Evolution answers its current object, number or not.
        guard case .qrCode(let again) = try evolution.connect(instance: name, number: Self.number) else {
            Issue.record("no QR object")
            return
        }
        #expect(again.pairingCode == first.pairingCode)
        _ = try evolution.logout(instance: name)
        guard case .qrCode(let fresh) = try evolution.connect(instance: name, number: Self.number) else {
            Issue.record("no QR object")
            return
        }
        #expect(fresh.pairingCode?.count == 8 && fresh.pairingCode != first.pairingCode)
    }
}
