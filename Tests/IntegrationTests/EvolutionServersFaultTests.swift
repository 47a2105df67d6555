import Foundation
import Testing

/// One hung Evolution server among three (issue 19): the other servers' tenants keep their fast answers, and the
/// hung server's tenants get the envelope's 503/504, never a hang. Bounds are loose (the benchmark measures).
@Suite("Evolution servers: one server hung", .serialized)
struct EvolutionServersFaultTests {
    @Test func oneHungServerLeavesTheOtherServersTenantsFastWhileItsOwnGet503Or504() throws {
        let fleet = try TestServerFleet.start(label: "servers_hung", threads: 8)
        defer { fleet.stop() }
        // Two open tenants per server (ties by id, then least loaded: s1, s2, s3, s1, s2, s3).
        let tenants = try fleet.insertTenants(6, prefix: "hung")
        for tenant in tenants {
            #expect(try fleet.stack.connect(tenant: tenant).status == 201)
            let server = try #require(try fleet.server(of: tenant))
            try fleet.sim(server).scan(instance: TestWhatsAppStack.instanceName(of: tenant))
        }
        let hung = try tenants.filter { try fleet.server(of: $0) == "s1" }
        let healthy = try tenants.filter { try fleet.server(of: $0) != "s1" }
        #expect(hung.count == 2 && healthy.count == 4)

        // Every call to s1 waits 5 s, longer than EVOLUTION_TIMEOUT_MS (1.5 s).
        try fleet.sim("s1").inject(#"{"route":"*","kind":"passthrough","delayMs":5000,"times":1000}"#)
        let hungCalls = Background.many(8) { index in try fleet.stack.status(tenant: hung[index % hung.count]) }
        try Wait.until("s1 holds a hung call") { try !fleet.sim("s1").calls(route: "connectionState").isEmpty }

        var durations: [Double] = []
        for round in 0..<60 {
            let tenant = healthy[round % healthy.count]
            let started = Date()
            let response = try fleet.stack.status(tenant: tenant)
            durations.append(Date().timeIntervalSince(started))
            #expect(response.status == 200, "\(response.text)")
            #expect(try response.jsonObject()["status"] as? String == "open")
        }
        let sorted = durations.sorted()
        let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
        #expect(p99 < 1.0, "p99 of the healthy servers' status was \(p99) s while s1 hung")

        for call in hungCalls {
            let response = try call.value(timeoutSeconds: 30)
            #expect([503, 504].contains(response.status), "\(response.status) \(response.text)")
            let body = try response.jsonObject()
            #expect(body["success"] as? Bool == false)
            #expect(
                ["upstream_timeout", "upstream_unavailable", "overloaded"].contains(body["error"] as? String ?? ""),
                "\(response.text)")
        }
    }
}
