import Foundation
import Testing

/// More streams than an nginx worker can hold (issue 20, item 7; docs/deployment.md, "Live events"): nchan 1.3.6 lets
/// a worker that runs out of `worker_connections` die on signal 11, so the events location caps the streams of one
/// worker at half its connections. The surplus gets 429 in the envelope, no worker exits, health keeps answering, and
/// every place comes back once the streams close.
@Suite("Live events at the worker's limit", .serialized)
final class LiveEventsLimitsTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    /// worker_connections of this stack's nginx: 32 streams at most (half), the rest for subrequests and the API.
    private static let workerConnections = 64
    private static let streamCap = workerConnections / 2
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(
            sim: sim, label: "events_limits", webhooks: true, events: true,
            nginxEnvironment: ["TW_NGINX_WORKER_CONNECTIONS": String(Self.workerConnections)])
    }

    deinit {
        stack.stop()
    }

    /// Opens `count` streams of `tenant`, spread over 127.0.0.2… so that the per-address limit (20) never decides.
    private func open(_ count: Int, of tenant: String, ticket: String) throws -> [TestEventStream] {
        try (0..<count).map { index in
            try stack.subscribe(tenant: tenant, ticket: ticket, from: "127.0.0.\(2 + index / 10)")
        }
    }

    @Test func theSurplusIsRefusedWithoutAnyWorkerDyingAndEverythingRecovers() throws {
        let tenant = TestWhatsAppStack.newTenantID("limits")
        try stack.insertTenant(tenant)
        let ticket = try stack.eventsTicket(tenant: tenant)

        let streams = try open(Self.streamCap + 16, of: tenant, ticket: ticket)
        let held = streams.filter { $0.status == 200 }
        let refused = streams.filter { $0.status != 200 }
        #expect(held.count == Self.streamCap)
        #expect(refused.count == 16)
        for stream in refused {
            let body = try JSONSerialization.jsonObject(with: try stream.body()) as? [String: Any]
            #expect(stream.status == 429 && body?["error"] as? String == "rate_limited", "\(stream.status)")
        }
        // Every stream held is live: its first message came.
        for stream in held { _ = try stream.expectEvent(within: 5, "the current state") }
        #expect(try stack.nginx.send("GET", "/api/health").status == 200)
        #expect(try stack.status(tenant: tenant).status == 200)

        held.forEach { $0.close() }
        try Wait.until("the streams are gone from the channel") {
            try NchanChannel.subscribers(
                of: tenant, publishSocket: stack.directory.appendingPathComponent("nchan-publish.sock").path) == 0
        }
        let again = try open(Self.streamCap, of: tenant, ticket: try stack.eventsTicket(tenant: tenant))
        #expect(again.allSatisfy { $0.status == 200 }, "\(again.map(\.status))")
        again.forEach { $0.close() }

        let errors = stack.nginx.errorLog()
        #expect(!errors.contains("exited on signal"), "\(errors.suffix(2000))")
        #expect(!errors.contains("worker_connections are not enough"), "\(errors.suffix(2000))")
    }
}
