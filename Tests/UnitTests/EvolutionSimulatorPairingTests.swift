import HTTPServer
import JSON
import Testing

@testable import EvolutionSimulator

/// The simulator's pairing-code mode, as Evolution 2.3.x has it (docs/simulator.md): `number` at create or
/// `?number=` on a closed instance starts a socket whose QR objects carry an 8-character `pairingCode`, a fresh one
/// per socket and per QR code; a connecting instance answers its current object whatever the number; the same scan
/// completes it.
@Suite("Evolution simulator pairing codes")
struct EvolutionSimulatorPairingTests {
    private static let number = "5511999999999"

    /// The `pairingCode` of a QR object.
    private func pairingCode(_ json: JSONValue) -> String? { json["pairingCode"]?.stringValue }

    @Test func aPairingCodeIsEightCharactersOfBaileysAlphabet() {
        let alphabet = Set("123456789ABCDEFGHJKLMNPQRSTVWXYZ")
        for _ in 0..<200 {
            let code = RandomIdentifier.pairingCode()
            #expect(code.count == 8 && code.allSatisfy { alphabet.contains($0) }, "\(code)")
        }
    }

    @Test func createWithANumberAnswersAPairingCodeWithTheQRCode() {
        var harness = SimulatorHarness()
        let response = harness.send(
            .post, "/instance/create",
            json: #"{"instanceName":"t1","integration":"WHATSAPP-BAILEYS","qrcode":true,"number":"\#(Self.number)"}"#)
        #expect(response.status.code == 201)
        let qrcode = response.json["qrcode"] ?? .null
        #expect(pairingCode(qrcode)?.count == 8)
        #expect(qrcode["base64"]?.stringValue?.hasPrefix("data:image/png;base64,") == true)
        #expect(harness.state.instances["t1"]?.state == .connecting)
    }

    @Test func connectWithANumberOnAClosedInstanceStartsPairingWithAFreshCodeEachTime() {
        var harness = SimulatorHarness()
        harness.create("t1", qrcode: false)
        let first = harness.send(.get, "/instance/connect/t1?number=\(Self.number)").json
        #expect(pairingCode(first)?.count == 8)
        #expect(harness.state.instances["t1"]?.pairingNumber == Self.number)

        // Logged out (the socket ends), then connected again: a new socket, a new code.
        harness.send(.delete, "/instance/logout/t1")
        let second = harness.send(.get, "/instance/connect/t1?number=\(Self.number)").json
        #expect(pairingCode(second)?.count == 8)
        #expect(second["count"] != first["count"])
        #expect(pairingCode(second) != pairingCode(first))
    }

    @Test func aConnectingInstanceAnswersItsCurrentObjectWhateverTheNumber() {
        // Evolution heeds `number` only in `close`: a QR-mode socket stays in QR mode.
        var harness = SimulatorHarness()
        harness.create("t1")
        let answer = harness.send(.get, "/instance/connect/t1?number=\(Self.number)").json
        #expect(answer["pairingCode"] == .null)
        #expect(answer["count"] == 1)
        #expect(harness.state.instances["t1"]?.pairingNumber == nil)
    }

    @Test func eachNewQRCodeOfAPairingSocketCarriesANewPairingCode() {
        var harness = SimulatorHarness { $0.qrRotateSeconds = 45 }
        harness.create("t1", qrcode: false)
        let first = pairingCode(harness.send(.get, "/instance/connect/t1?number=\(Self.number)").json)
        #expect(pairingCode(harness.send(.get, "/instance/connect/t1").json) == first)
        harness.advance(.seconds(45))
        let rotated = pairingCode(harness.send(.get, "/instance/connect/t1").json)
        #expect(rotated?.count == 8)
        #expect(rotated != first)
    }

    @Test func theScanControlCompletesAPairing() {
        var harness = SimulatorHarness()
        harness.create("t1", qrcode: false)
        harness.send(.get, "/instance/connect/t1?number=\(Self.number)")
        let scan = harness.send(.post, "/_sim/instances/t1/scan")
        #expect(scan.status.code == 200)
        #expect(harness.state.instances["t1"]?.state == .open)
        #expect(harness.send(.get, "/instance/connectionState/t1").json["instance"]?["state"] == "open")
    }

    @Test func theQRCodeUpdatedWebhookCarriesThePairingCode() {
        var harness = SimulatorHarness()
        harness.create("t1", qrcode: false)
        let answer = harness.send(.get, "/instance/connect/t1?number=\(Self.number)").json
        let instance = harness.state.instances["t1"]
        let event = instance.map { WebhookEvent.qrCodeUpdated($0) }
        #expect(event?.0 == "qrcode.updated")
        #expect(event?.1["qrcode"]?["pairingCode"] == answer["pairingCode"])
    }
}
