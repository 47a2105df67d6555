import HTTPServer
import JSON
import Testing

@testable import EvolutionSimulator

/// The simulator's state machine with a hand-moved clock: socket start, QR codes, scan, close, logout, delete.
@Suite("Evolution simulator state")
struct EvolutionSimulatorStateTests {
    @Test func createWithAQRCodeStartsConnectingWithTheFirstQRCode() {
        var harness = SimulatorHarness()
        harness.create("t1")
        let instance = harness.state.instances["t1"]
        #expect(instance?.state == .connecting)
        #expect(instance?.qrCode.count == 1)
        #expect(instance?.databaseStatus == .connecting)
    }

    @Test func createWithoutAQRCodeStaysClosedInMemoryAndInTheDatabase() {
        var harness = SimulatorHarness()
        harness.create("t1", qrcode: false)
        #expect(harness.state.instances["t1"]?.state == .close)
        #expect(harness.state.instances["t1"]?.databaseStatus == .close)
    }

    @Test func pendingAnswersComeBeforeTheFirstQRCode() {
        var harness = SimulatorHarness { $0.qrPendingAnswers = 2 }
        harness.create("t1")
        #expect(harness.send(.get, "/instance/connect/t1").text == #"{"count":0}"#)
        #expect(harness.state.instances["t1"]?.databaseStatus == .close)
        #expect(harness.send(.get, "/instance/connect/t1").json["count"] == 1)
        #expect(harness.state.instances["t1"]?.databaseStatus == .connecting)
    }

    @Test func theQRCodeRotatesWhenItsLifetimeEnds() {
        var harness = SimulatorHarness { $0.qrRotateSeconds = 45 }
        harness.create("t1")
        let first = harness.state.instances["t1"]?.qrCode
        harness.advance(.seconds(44))
        #expect(harness.state.instances["t1"]?.qrCode == first)
        harness.advance(.seconds(1))
        let second = harness.state.instances["t1"]?.qrCode
        #expect(second?.count == 2)
        #expect(second?.code != first?.code)
        #expect(second?.dataURL != first?.dataURL)
    }

    @Test func theQRCodeLimitRefusesThenCloses() {
        var harness = SimulatorHarness {
            $0.qrRotateSeconds = 1
            $0.qrLimit = 3
        }
        harness.create("t1")
        harness.advance(.seconds(1))
        harness.advance(.seconds(1))
        #expect(harness.state.instances["t1"]?.qrCode.count == 3)
        harness.advance(.seconds(1))
        #expect(harness.state.instances["t1"]?.state == .close)
        #expect(harness.state.instances["t1"]?.qrCode == QRCodeState())
    }

    @Test func anAutomaticScanOpensAfterItsDelay() {
        var harness = SimulatorHarness {
            $0.autoScanSeconds = 5
            $0.qrRotateSeconds = 0
        }
        harness.create("t1")
        harness.advance(.seconds(4))
        #expect(harness.state.instances["t1"]?.state == .connecting)
        harness.advance(.seconds(1))
        #expect(harness.state.instances["t1"]?.state == .open)
        #expect(harness.state.instances["t1"]?.owner?.wuid.hasSuffix("@s.whatsapp.net") == true)
    }

    @Test func aScanOnlyWorksWhileConnecting() {
        var harness = SimulatorHarness()
        harness.create("t1", qrcode: false)
        let scanned = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        #expect(!scanned)
        #expect(harness.send(.post, "/_sim/instances/t1/scan").status == .conflict)
        harness.send(.get, "/instance/connect/t1")
        #expect(harness.send(.post, "/_sim/instances/t1/scan").status == .ok)
        #expect(harness.state.instances["t1"]?.state == .open)
    }

    @Test func logoutKeepsTheStaleQRCodeAndTheCountKeepsClimbing() {
        var harness = SimulatorHarness()
        harness.create("t1")
        _ = harness.state.scan("t1", wuid: nil, profileName: nil, now: harness.now)
        harness.send(.delete, "/instance/logout/t1")
        #expect(harness.state.instances["t1"]?.state == .close)
        #expect(harness.state.instances["t1"]?.owner == nil)
        #expect(harness.state.instances["t1"]?.qrCode.count == 1)
        #expect(harness.send(.get, "/instance/connect/t1").json["count"] == 2)
    }

    @Test func aDropClosesWithItsReason() {
        var harness = SimulatorHarness()
        harness.create("t1")
        #expect(harness.send(.post, "/_sim/instances/t1/drop", json: #"{"statusReason":403}"#).status == .ok)
        #expect(harness.state.instances["t1"]?.state == .close)
        #expect(harness.state.instances["t1"]?.disconnectionReasonCode == 403)
        #expect(harness.send(.post, "/_sim/instances/t1/drop").status == .conflict)
    }

    @Test func deleteWithACleanUpWindowFreesTheNameOnlyWhenItEnds() {
        var harness = SimulatorHarness { $0.deleteCleanupMilliseconds = 2000 }
        harness.create("t1")
        #expect(harness.send(.delete, "/instance/delete/t1").status == .ok)
        #expect(harness.state.instances["t1"]?.state == .close)
        harness.advance(.milliseconds(1999))
        #expect(
            harness.send(.post, "/instance/create", json: #"{"instanceName":"t1","integration":"EVOLUTION"}"#).status
                == .forbidden)
        harness.advance(.milliseconds(1))
        #expect(harness.state.instances["t1"] == nil)
        #expect(
            harness.send(.post, "/instance/create", json: #"{"instanceName":"t1","integration":"EVOLUTION"}"#).status
                == .created)
    }

    @Test func otherIntegrationsStartOpen() {
        var harness = SimulatorHarness()
        let response = harness.send(
            .post, "/instance/create", json: #"{"instanceName":"t1","integration":"EVOLUTION"}"#)
        #expect(response.json["instance"]?["status"] == "open")
        #expect(harness.state.instances["t1"]?.databaseStatus == .open)
    }

    @Test func resetRestoresTheSettingsFromTheEnvironment() {
        var harness = SimulatorHarness { $0.qrPendingAnswers = 1 }
        harness.send(.put, "/_sim/settings", json: #"{"qrPendingAnswers":5}"#)
        #expect(harness.state.settings.qrPendingAnswers == 5)
        harness.create("t1")
        harness.send(.post, "/_sim/reset")
        #expect(harness.state.settings.qrPendingAnswers == 1)
        #expect(harness.state.instances.isEmpty)
        #expect(harness.state.calls.isEmpty)
    }
}
