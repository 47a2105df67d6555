import HTTPServer
import JSON
import Runtime
import Testing

@testable import EvolutionSimulator

/// `SIM_*` variables, the settings patch of the control API, and fault descriptions.
@Suite("Evolution simulator settings and faults")
struct EvolutionSimulatorSettingsTests {
    @Test func theKeyIsRequired() {
        #expect(throws: ConfigurationError(variable: "SIM_API_KEY", problem: "is not set")) {
            try SimulatorSettings.load(from: [:])
        }
    }

    @Test func defaultsAreDeterministic() throws {
        let settings = try SimulatorSettings.load(from: ["SIM_API_KEY": "k"])
        #expect(settings.qrPendingAnswers == 0)
        #expect(settings.deleteCleanupMilliseconds == 0)
        #expect(settings.autoScanSeconds == nil)
        #expect(settings.qrLimit == 30)
        #expect(!settings.exposeTokenInWebhooks)
    }

    @Test func variablesAreReadAndBadOnesNamedWithoutTheirValue() throws {
        let settings = try SimulatorSettings.load(from: [
            "SIM_API_KEY": "k", "SIM_QR_PENDING_ANSWERS": "2", "SIM_AUTO_SCAN_SECONDS": "10",
            "SIM_DELETE_CLEANUP_MS": "1500", "SIM_EXPOSE_TOKEN_IN_WEBHOOKS": "true",
        ])
        #expect(settings.qrPendingAnswers == 2)
        #expect(settings.autoScanSeconds == 10)
        #expect(settings.deleteCleanupMilliseconds == 1500)
        #expect(settings.exposeTokenInWebhooks)
        do {
            _ = try SimulatorSettings.load(from: ["SIM_API_KEY": "k", "SIM_QR_LIMIT": "lots-secret"])
            Issue.record("a bad SIM_QR_LIMIT was accepted")
        } catch {
            #expect(error.variable == "SIM_QR_LIMIT")
            #expect(!error.description.contains("lots-secret"))
        }
        #expect(throws: ConfigurationError.self) {
            try SimulatorSettings.load(from: ["SIM_API_KEY": "a key"])
        }
    }

    @Test func aPatchChangesOnlyItsMembersAndNeverTheKey() throws {
        let settings = SimulatorSettings(apiKey: "k")
        let patched = try settings.applying(["qrPendingAnswers": 3, "autoScanSeconds": nil])
        #expect(patched.qrPendingAnswers == 3)
        #expect(patched.apiKey == "k")
        #expect(throws: SimulatorControlError.badRequest("unknown setting apiKey")) {
            try settings.applying(["apiKey": "other"])
        }
        #expect(settings.json["apiKey"] == nil)
    }

    @Test func aFaultDefaultsToOneCallOfA500() throws {
        let fault = try Fault(json: ["route": "connect"])
        #expect(fault.kind == .status)
        #expect(fault.status == 500)
        #expect(fault.remaining == 1)
        #expect(fault.matches(route: .connect, instance: "any"))
        #expect(!fault.matches(route: .create, instance: nil))
    }

    @Test func aFaultForOneInstanceLeavesTheOthersAlone() throws {
        let fault = try Fault(json: ["route": "*", "instance": "a", "kind": "passthrough", "delayMs": 2000])
        #expect(fault.matches(route: .connectionState, instance: "a"))
        #expect(!fault.matches(route: .connectionState, instance: "b"))
    }

    @Test(arguments: [
        #"{"route":"nope"}"#, #"{"route":"connect","kind":"explode"}"#, #"{"route":"connect","kind":"redirect"}"#,
        #"{"route":"connect","times":0}"#, #"{"route":"connect","delayMs":999999}"#, "[]",
    ])
    func aBadFaultIsRefused(json: String) throws {
        #expect(throws: SimulatorControlError.self) { try Fault(json: try JSONParser().parse(json)) }
    }

    @Test func aPassthroughFaultDelaysTheNormalAnswer() {
        var harness = SimulatorHarness()
        harness.create("t1")
        harness.send(.post, "/_sim/faults", json: #"{"route":"connectionState","kind":"passthrough","delayMs":1500}"#)
        let request = HTTPRequestBuilder.get("/instance/connectionState/t1", key: SimulatorHarness.key)
        let answer = harness.state.answerEvolution(request, now: harness.now)
        #expect(answer.delay == .milliseconds(1500))
        #expect(answer.status == 200)
        #expect(harness.state.faults.isEmpty)
    }

    @Test func streamAndTruncateFaultsDescribeTheirBytes() {
        var harness = SimulatorHarness()
        harness.send(
            .post, "/_sim/faults", json: #"{"route":"root","kind":"stream","sizeBytes":3000,"chunkBytes":1000}"#)
        harness.send(.post, "/_sim/faults", json: #"{"route":"root","kind":"truncate","sizeBytes":100}"#)
        let streamed = harness.state.answerEvolution(HTTPRequestBuilder.get("/"), now: harness.now)
        guard case .streamed(_, let headers, let total, let chunk, _) = streamed.reply else {
            Issue.record("expected a streamed reply")
            return
        }
        #expect(total == 3000 && chunk == 1000)
        #expect(headers["X-Accel-Buffering"] == "no")
        let truncated = harness.state.answerEvolution(HTTPRequestBuilder.get("/"), now: harness.now)
        guard case .truncated(_, _, let declared, let body) = truncated.reply else {
            Issue.record("expected a truncated reply")
            return
        }
        #expect(body.count < declared)
    }
}
