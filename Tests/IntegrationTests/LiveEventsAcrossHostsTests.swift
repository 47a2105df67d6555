import Foundation
import Testing

/// Two nginx hosts sharing one Redis (issue 20, item 6; docs/deployment.md, "Live events"): a page subscribed
/// through nginx A gets the messages the responder publishes through nginx B.
@Suite("Live events across nginx hosts", .serialized)
final class LiveEventsAcrossHostsTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let redis: TestRedis
    private let hostBDirectory: URL
    private let stack: TestWhatsAppStack
    private let hostB: TestNginx

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        redis = try TestRedis.start()
        // Host B's folder first: the responder publishes to B's socket, while pages subscribe through A.
        hostBDirectory = try TestEnvironment.makeScratchDirectory("nginx-b")
        let publishOnB = hostBDirectory.appendingPathComponent("nchan-publish.sock").path
        stack = try TestWhatsAppStack.start(
            sim: sim, label: "events_redis", webhooks: true,
            environment: ["NCHAN_PUBLISH_SOCKET": publishOnB], nginxEnvironment: ["TW_REDIS_URL": redis.url])
        hostB = try TestNginx.start(
            in: hostBDirectory, socketPaths: stack.responders.map(\.socketPath),
            environment: TestWhatsAppStack.nginxEnvironment.merging(
                ["TW_REDIS_URL": redis.url, "TW_NGINX_PUBLISH_SOCKET": publishOnB]) { $1 })
    }

    deinit {
        hostB.stop()
        stack.stop()
        redis.stop()
        try? FileManager.default.removeItem(at: hostBDirectory)
    }

    @Test func aSubscriberOnHostAGetsWhatIsPublishedThroughHostB() throws {
        let tenant = TestWhatsAppStack.newTenantID("hosts")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)

        // Subscribed on A; the responder publishes the current state through B: it can only arrive through Redis.
        let stream = try stack.subscribe(tenant: tenant, ticket: try stack.eventsTicket(tenant: tenant))
        #expect(stream.status == 200)
        let first = try stream.expectEvent(within: 5, "the current state, published through host B")
        #expect(try first.json()["status"] as? String == "not_created")

        #expect(try stack.connect(tenant: tenant).status == 201)
        try sim.scan(instance: name)
        var open = false
        while !open {
            let event = try stream.expectEvent(within: 5, "the open state, published through host B")
            open = try event.json()["status"] as? String == "open"
        }
    }
}
