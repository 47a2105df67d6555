import Foundation
import Testing

/// Upstream faults on each route (security cases D32–D35, D39): the stated 5xx envelope, answered by the responder
/// itself (its log has the request; nginx's own error pages would not be there), and the tenant row unchanged, with
/// Evolution still agreeing with it.
@Suite("WhatsApp routes when Evolution fails", .serialized)
final class WhatsAppFaultTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim

    /// Every route with every fault, except wrong JSON on disconnect: a successful delete's body carries nothing
    /// the service reads.
    static let cases: [(WhatsAppRoute, UpstreamFault)] = WhatsAppRoute.allCases.flatMap { route in
        UpstreamFault.allCases.filter { !(route == .disconnect && $0 == .wrongJSON) }.map { (route, $0) }
    }

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    @Test(arguments: cases)
    func aFaultAnswersItsEnvelopeAndLeavesTheTenantRowUnchanged(route: WhatsAppRoute, fault: UpstreamFault) throws {
        let stack = try TestWhatsAppStack.start(
            sim: sim, label: "fault_\(route.rawValue)", environment: try fault.responderEnvironment())
        defer { stack.stop() }
        let tenant = TestWhatsAppStack.newTenantID("fault")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        if route == .connect {
            try stack.insertTenant(tenant)
        } else {
            // status and disconnect need a stored instance that Evolution knows.
            try sim.createInstance(named: name)
            try stack.insertTenant(tenant, instanceName: name)
        }
        try sim.control("DELETE", "/calls")
        if let injected = fault.injection(for: route) { try sim.inject(injected) }
        let rowBefore = try stack.tenantRowText(tenant)

        let started = ContinuousClock.now
        let response = try stack.send(route: route, tenant: tenant)
        let elapsed = ContinuousClock.now - started

        let (status, code) = fault.expectedAnswer
        WhatsAppExpectations.expectError(response, status: status, code: code, "\(route) \(fault)")
        #expect(try stack.tenantRowText(tenant) == rowBefore, "\(route) \(fault)")
        let requestID = try #require(response.headers["x-request-id"])
        let logged = try stack.responderLogLine(requestID: requestID)
        #expect(logged["status"] as? Int == status, "the responder answered it, not nginx")
        if fault == .timeout {
            let deadline = TestWhatsAppStack.timeoutMilliseconds
            // At the deadline, long before the blackhole answers (10 s): at most five times the deadline.
            #expect(elapsed >= .milliseconds(deadline * 9 / 10), "answered after \(elapsed)")
            #expect(elapsed < .milliseconds(deadline * 5), "answered after \(elapsed)")
        }
        // Evolution (its faults cleared) agrees with the unchanged row: an instance exactly where a name is stored.
        try sim.control("DELETE", "/faults")
        #expect(try sim.instanceExists(name) == (route != .connect), "\(route) \(fault)")
    }
}

/// One way Evolution fails, and what the service must answer for it.
enum UpstreamFault: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// Nothing listens at `EVOLUTION_API_URL`.
    case refused
    /// No answer within `EVOLUTION_TIMEOUT_MS`.
    case timeout
    /// HTTP 500 with Evolution's envelope.
    case serverError
    /// An HTML page with status 200 (a proxy in front of Evolution).
    case html
    /// HTTP 2xx JSON of the wrong shape.
    case wrongJSON
    /// HTTP 401: the service's `EVOLUTION_API_KEY` is wrong.
    case wrongKey

    var testDescription: String { rawValue }

    /// The status and envelope code the route must answer.
    var expectedAnswer: (Int, String) {
        switch self {
        case .refused: (503, "upstream_unavailable")
        case .timeout: (504, "upstream_timeout")
        case .serverError, .wrongKey: (502, "upstream_error")
        case .html, .wrongJSON: (502, "upstream_bad_response")
        }
    }

    /// What the responders get instead of the simulator's address and key.
    func responderEnvironment() throws -> [String: String] {
        switch self {
        case .refused: ["EVOLUTION_API_URL": "http://127.0.0.1:\(try TestEnvironment.freeLoopbackPort())"]
        case .wrongKey: ["EVOLUTION_API_KEY": "wrong-key-\(UInt32.random(in: 0...UInt32.max))"]
        default: [:]
        }
    }

    /// The simulator fault (`POST /_sim/faults`) that makes every upstream call of `route` fail this way, if any.
    func injection(for route: WhatsAppRoute) -> String? {
        switch self {
        case .refused, .wrongKey: nil
        // The first call gets a 500 only after 10 s: a blackhole for a 1.5 s deadline. Only the first: a follow-up
        // call (a clean-up, say) is not what is timed.
        case .timeout: #"{"route":"*","kind":"status","status":500,"delayMs":10000,"times":1}"#
        case .serverError: #"{"route":"*","status":500,"times":1000}"#
        case .html: #"{"route":"*","kind":"html","times":1000}"#
        case .wrongJSON:
            route == .connect
                ? #"{"route":"*","status":201,"body":{"instance":42},"times":1000}"#
                : #"{"route":"*","status":200,"body":{"instance":{"instanceName":"x","state":42}},"times":1000}"#
        }
    }
}
