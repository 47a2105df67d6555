import Foundation
import Testing

/// Admission before exhaustion (issue #21, item 2): Evolution-bound work is admitted only up to its own bulkhead
/// (`EVOLUTION_MAX_IN_FLIGHT`, by default three quarters of `--max-requests`); beyond it the answer is 503
/// `overloaded` at once, so health always finds a worker however many calls Evolution holds.
///
/// Scaled down from the issue's 1,000 tenants to what a test on two cores starts quickly: `--max-requests 16`
/// (a bulkhead of 12) and 40 tenants whose status calls Evolution holds 2.5 s. Bounds are far from the figures; the
/// benchmark measures.
@Suite("Admission before exhaustion", .serialized)
final class AdmissionTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    @Test func statusCallsBeyondTheBulkheadAre503OverloadedAtOnceAndHealthNeverQueues() throws {
        let stack = try TestWhatsAppStack.start(
            sim: sim, label: "admission", threads: 4, maxRequests: 16, environment: ["EVOLUTION_TIMEOUT_MS": "4000"])
        defer { stack.stop() }
        var ids: [String] = []
        for _ in 1...40 {
            let id = TestWhatsAppStack.newTenantID("adm")
            let name = TestWhatsAppStack.instanceName(of: id)
            _ = try sim.createInstance(named: name)
            try sim.scan(instance: name)
            try stack.insertTenant(id, instanceName: name)
            ids.append(id)
        }
        let tenants = ids
        try sim.inject(#"{"route":"connectionState","kind":"passthrough","delayMs":2500,"times":100}"#)

        let started = ContinuousClock.now
        let calls = Background.many(tenants.count) { index -> (Int, String?, String?, Duration) in
            let response = try stack.status(tenant: tenants[index])
            let code = (try? response.jsonObject())?["error"] as? String
            return (response.status, code, response.headers["retry-after"], ContinuousClock.now - started)
        }
        try Wait.until("Evolution holds status calls") {
            try !sim.calls(route: "connectionState").isEmpty
        }
        // Meanwhile health is answered at once, every time.
        for _ in 1...10 {
            let probe = ContinuousClock.now
            #expect(try stack.nginx.send("GET", "/api/health").status == 200)
            #expect(ContinuousClock.now - probe < .seconds(1), "health waited behind Evolution-bound work")
        }

        let answers = try calls.map { try $0.value() }
        let admitted = answers.filter { $0.0 == 200 }
        let refused = answers.filter { $0.0 == 503 }
        // Every call answered, none dropped: 200 (admitted, Evolution answered) or 503 overloaded at once.
        #expect(admitted.count + refused.count == tenants.count, "\(answers.map(\.0))")
        #expect(admitted.count <= 12, "more than EVOLUTION_MAX_IN_FLIGHT admitted: \(admitted.count)")
        #expect(refused.allSatisfy { $0.1 == "overloaded" && $0.2 == "1" }, "\(refused.map { $0.1 ?? "-" })")
        // Within the Evolution timeout plus a second.
        #expect(answers.allSatisfy { $0.3 < .seconds(5) }, "\(answers.map(\.3))")
    }
}
