import Foundation
import Testing

@testable import TenantWhatsApp

/// The Evolution client when the upstream misbehaves: each fault the simulator can inject becomes one typed error.
@Suite("Evolution client faults", .serialized)
final class EvolutionClientFaultTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let name = "tenant_fault"

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        _ = try client().createInstance(named: name)
    }

    private func client(timeoutMilliseconds: Int = 5000, baseURL: String? = nil) throws -> EvolutionClient {
        try EvolutionClient(
            configuration: EvolutionConfiguration(
                baseURL: baseURL ?? sim.baseURL, apiKey: sim.apiKey, timeoutMilliseconds: timeoutMilliseconds))
    }

    @Test func aSlowUpstreamTimesOutAtTheDeadlineNotWhenItAnswers() throws {
        try sim.inject(#"{"route":"connectionState","kind":"passthrough","delayMs":10000}"#)
        let evolution = try client(timeoutMilliseconds: 1000)
        let started = ContinuousClock.now
        #expect(throws: EvolutionError.timeout) { try evolution.connectionState(instance: self.name) }
        let elapsed = ContinuousClock.now - started
        // Not before the deadline, and long before the upstream answers (10 s): at most five times the deadline.
        #expect(elapsed >= .milliseconds(1000))
        #expect(elapsed < .milliseconds(5000))
    }

    @Test func aSlowDripTimesOutAtTheDeadlineToo() throws {
        try sim.inject(
            #"{"route":"connectionState","kind":"stream","sizeBytes":1048576,"chunkBytes":16384,"intervalMs":200}"#)
        let evolution = try client(timeoutMilliseconds: 1000)
        let started = ContinuousClock.now
        #expect(throws: EvolutionError.timeout) { try evolution.connectionState(instance: self.name) }
        // The drip keeps bytes coming for 12.8 s: only a deadline on the whole call stops it this early (at most five
        // times the deadline).
        #expect(ContinuousClock.now - started < .milliseconds(5000))
    }

    @Test func anHTMLPageIsABadResponse() throws {
        try sim.inject(#"{"route":"connectionState","kind":"html"}"#)
        #expect(throws: EvolutionError.badResponse(.notJSON)) { try self.client().connectionState(instance: self.name) }
    }

    @Test func anEmptyBodyIsABadResponse() throws {
        try sim.inject(#"{"route":"connect","kind":"status","status":200,"text":""}"#)
        #expect(throws: EvolutionError.badResponse(.notJSON)) { try self.client().connect(instance: self.name) }
    }

    @Test func wrongJSONTypesAreABadResponseNamingTheField() throws {
        try sim.inject(#"{"route":"connectionState","status":200,"body":{"instance":{"instanceName":"x","state":42}}}"#)
        #expect(throws: EvolutionError.badResponse(.unexpectedShape(field: "instance.state"))) {
            try self.client().connectionState(instance: self.name)
        }
    }

    @Test func aQRCodeThatIsNotAPNGDataURLIsABadResponse() throws {
        try sim.inject(#"{"route":"connect","status":200,"body":{"code":"2@x","base64":"<svg/>","count":1}}"#)
        #expect(throws: EvolutionError.badResponse(.unexpectedShape(field: "$.base64"))) {
            try self.client().connect(instance: self.name)
        }
    }

    @Test func anOversizeBodyWithALengthIsABadResponse() throws {
        try sim.inject(#"{"route":"fetchInstances","kind":"oversize","sizeBytes":2097152}"#)
        #expect(throws: EvolutionError.badResponse(.tooLarge(limit: 1_048_576))) { try self.client().fetchInstances() }
    }

    @Test func anOversizeChunkedBodyIsABadResponse() throws {
        try sim.inject(#"{"route":"fetchInstances","kind":"stream","sizeBytes":10485760}"#)
        #expect(throws: EvolutionError.badResponse(.tooLarge(limit: 1_048_576))) { try self.client().fetchInstances() }
    }

    @Test func a200WithErrorTrueIsABadResponse() throws {
        try sim.inject(#"{"route":"connect","status":200,"body":{"error":true,"message":"[object Object]"}}"#)
        #expect(throws: EvolutionError.badResponse(.failureReported(message: "[object Object]"))) {
            try self.client().connect(instance: self.name)
        }
    }

    @Test func aServerErrorCarriesItsStatusAndMessages() throws {
        try sim.inject(#"{"route":"connectionState","status":500}"#)
        #expect(throws: EvolutionError.server(status: 500, messages: ["Simulated fault"])) {
            try self.client().connectionState(instance: self.name)
        }
    }

    @Test func nginxsOwnBadGatewayPageIsAServerError() throws {
        try sim.inject(#"{"route":"connectionState","kind":"invalid"}"#)
        #expect(throws: EvolutionError.server(status: 502, messages: [])) {
            try self.client().connectionState(instance: self.name)
        }
    }

    @Test func aConnectionClosedMidBodyIsATransportError() throws {
        try sim.inject(#"{"route":"connectionState","kind":"truncate","sizeBytes":4096}"#)
        // curl 18 (CURLE_PARTIAL_FILE): fewer bytes than Content-Length announced.
        #expect(throws: EvolutionError.transport(curlCode: 18)) {
            try self.client().connectionState(instance: self.name)
        }
    }

    @Test func aRefusedConnectionIsUnreachable() throws {
        let port = try TestEnvironment.freeLoopbackPort()
        let evolution = try client(baseURL: "http://127.0.0.1:\(port)")
        // curl 7 (CURLE_COULDNT_CONNECT).
        #expect(throws: EvolutionError.unreachable(curlCode: 7)) { try evolution.connectionState(instance: self.name) }
    }

    @Test func aRedirectIsNotFollowedAndItsTargetSeesNoRequest() throws {
        let target = try RedirectTargetListener()
        try sim.inject(
            #"{"route":"connectionState","kind":"redirect","location":"http://127.0.0.1:\#(target.port)/steal"}"#)
        #expect(throws: EvolutionError.badResponse(.unexpectedStatus(302))) {
            try self.client().connectionState(instance: self.name)
        }
        #expect(target.pendingConnections() == 0)
    }

    @Test func aFaultLastsForItsNumberOfCallsOnly() throws {
        try sim.inject(#"{"route":"connectionState","status":503,"times":2}"#)
        let evolution = try client()
        for _ in 0..<2 {
            #expect(throws: EvolutionError.server(status: 503, messages: ["Simulated fault"])) {
                try evolution.connectionState(instance: self.name)
            }
        }
        #expect(try evolution.connectionState(instance: name) == .connecting)
    }

    @Test func errorDescriptionsNeverCarryTheKey() throws {
        let wrongKey = "wrong-key-" + UUID().uuidString
        let wrong = try EvolutionClient(
            configuration: EvolutionConfiguration(baseURL: sim.baseURL, apiKey: wrongKey, timeoutMilliseconds: 5000))
        var descriptions: [String] = []
        do throws(EvolutionError) {
            _ = try wrong.connectionState(instance: name)
        } catch {
            descriptions += [error.description, error.debugDescription, String(describing: error)]
        }
        try sim.inject(#"{"route":"connectionState","status":500}"#)
        let evolution = try client()
        do throws(EvolutionError) {
            _ = try evolution.connectionState(instance: name)
        } catch {
            descriptions += [error.description, error.debugDescription, String(reflecting: error)]
        }
        let configuration = EvolutionConfiguration(baseURL: sim.baseURL, apiKey: sim.apiKey)
        descriptions += [configuration.description, String(reflecting: configuration), "\(configuration)"]
        #expect(descriptions.count == 9)
        for text in descriptions {
            #expect(!text.contains(sim.apiKey))
            #expect(!text.contains(wrongKey))
        }
    }
}
