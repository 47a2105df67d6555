import Foundation
import Testing

/// One connect at a time per tenant across responder processes (security cases E50–E52): the guarantee lives in
/// PostgreSQL, so two processes behind one nginx behave like one.
@Suite("WhatsApp connect under concurrency", .serialized)
final class WhatsAppConcurrencyTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        // The per-tenant cap is lifted: these races are about the lock, which answers 409 to the losers.
        stack = try TestWhatsAppStack.start(
            sim: sim, label: "concurrency", responderCount: 2, threads: 8,
            environment: ["EVOLUTION_MAX_PER_TENANT": "32"])
    }

    deinit {
        stack.stop()
    }

    @Test func twentyConcurrentConnectsOverTwoRespondersMakeExactlyOneInstance() throws {
        for round in 1...3 {
            try sim.reset()
            let tenant = TestWhatsAppStack.newTenantID("race\(round)")
            let name = TestWhatsAppStack.instanceName(of: tenant)
            try stack.insertTenant(tenant)

            let stack = self.stack
            let responses = try Concurrently.run(20) { _ in try stack.connect(tenant: tenant) }.map { try $0.get() }

            let statuses = responses.map(\.status)
            #expect(statuses.allSatisfy { [200, 201, 409].contains($0) }, "round \(round): \(statuses)")
            #expect(statuses.filter { $0 == 201 }.count == 1, "round \(round): \(statuses)")
            for response in responses where response.status == 409 {
                WhatsAppExpectations.expectError(response, status: 409, code: "operation_in_progress", "round \(round)")
            }
            for response in responses where response.status == 200 || response.status == 201 {
                #expect(WhatsAppExpectations.pngBytes(ofDataURL: try response.jsonObject()["qrcode"]) != nil)
            }
            #expect(try sim.calls(route: "create").count == 1, "round \(round)")
            #expect(try sim.calls(route: "delete").isEmpty, "round \(round)")
            #expect(try sim.instanceNames().filter { $0 == name }.count == 1, "round \(round)")
            #expect(try stack.storedInstanceName(of: tenant) == name, "round \(round)")
            #expect(
                try stack.psql(
                    "SELECT count(*) FROM tenants WHERE whatsapp_instance_name = \(TestWhatsAppStack.literal(name))")
                    == "1")
            let auditRows = try stack.auditRows(tenant: tenant).filter { $0["action"] as? String == "connect" }
            #expect(auditRows.filter { $0["outcome"] as? String == "created" }.count == 1, "round \(round)")
        }
        try expectBothRespondersAnswered(connects: 60)
    }

    @Test func connectsRacingDisconnectsLeaveTheDatabaseAndEvolutionInAgreement() throws {
        let tenant = TestWhatsAppStack.newTenantID("flip")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)

        let stack = self.stack
        let responses = try Concurrently.run(16) { index in
            index.isMultiple(of: 2) ? try stack.connect(tenant: tenant) : try stack.disconnect(tenant: tenant)
        }.map { try $0.get() }

        #expect(responses.allSatisfy { $0.status < 500 }, "\(responses.map { "\($0.status) \($0.text)" })")
        let stored = try stack.storedInstanceName(of: tenant)
        #expect(stored == nil || stored == name)
        #expect(try (stored != nil) == sim.instanceExists(name), "stored \(stored ?? "nil")")
    }

    /// Issue 15, item 1: a status racing a disconnect and a connect must not forget the new instance (writes are
    /// conditional on the instance generation the status read). After every round, PostgreSQL and Evolution agree.
    @Test func aHundredRoundsOfConnectDisconnectAndStatusLeaveTheDatabaseAndEvolutionInAgreement() throws {
        let tenant = TestWhatsAppStack.newTenantID("gen")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        let stack = self.stack
        var disagreements: [String] = []
        for round in 1...100 {
            let responses = try Concurrently.run(3) { index in
                switch index {
                case 0: try stack.connect(tenant: tenant)
                case 1: try stack.disconnect(tenant: tenant)
                default: try stack.status(tenant: tenant)
                }
            }.map { try $0.get() }
            #expect(responses.allSatisfy { $0.status < 500 }, "round \(round): \(responses.map(\.status))")
            let stored = try stack.storedInstanceName(of: tenant)
            let upstream = try sim.instanceExists(name)
            if (stored != nil) != upstream {
                disagreements.append("round \(round): stored \(stored ?? "nil"), upstream \(upstream)")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    /// nginx spread the `connects` requests over both processes (round robin), so both took part in the races.
    private func expectBothRespondersAnswered(connects: Int) throws {
        func connectLines(_ responder: TestResponder) throws -> Int {
            try responder.logLines().filter { ($0["route"] as? String)?.hasSuffix("/whatsapp/connect") == true }.count
        }
        try Wait.until("the responders logged \(connects) connects") {
            try stack.responders.map(connectLines).reduce(0, +) >= connects
        }
        for responder in stack.responders {
            #expect(try connectLines(responder) > 0, "\(responder.socketPath) answered no connect")
        }
    }
}
