import HTTPServer
import Logging
import Testing

@testable import TenantWhatsApp

/// Each route's body limit, as its registration declares it: 16 KiB for the API, 64 KiB for webhook deliveries.
@Suite("Body limits")
struct BodyLimitTests {
    @Test func aConnectBodyOverSixteenKibibytesIsRefusedBeforeTheHandler() throws {
        let kit = try FlowTestKit()
        let answer = kit.connect(body: String(repeating: " ", count: 16 * 1024 + 1), contentType: "application/json")
        #expect(answer.status == 413)
        #expect(answer.body == RouteAnswer.envelope(.payloadTooLarge))
        #expect(kit.touchedNothing)
        #expect(kit.application.largestBodyLimit == 16 * 1024, "without webhooks no route takes more")
    }

    @Test func aWebhookDeliveryMayCarrySixtyFourKibibytes() throws {
        let kit = try FlowTestKit()
        let handler = EvolutionWebhookHandler(
            servers: kit.servers, tenants: kit.tenants, audit: kit.audit,
            logger: Logger(label: "body-limit-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
        let application = Application(
            router: Application.router(whatsApp: kit.dependencies, webhook: handler, checkDatabase: {}))
        func deliver(bytes: Int) -> Int {
            let request = HTTPRequest(
                method: .post, path: "/api/evolution/webhook/s1", headers: HTTPHeaders(),
                body: Array(repeating: UInt8(ascii: " "), count: bytes), requestID: FlowTestKit.requestID)
            return application.respond(to: request, context: RequestContext(requestID: FlowTestKit.requestID))
                .status.code
        }
        #expect(application.largestBodyLimit == 64 * 1024)
        // Past the body limit, the handler refuses the token it does not have.
        #expect(deliver(bytes: 64 * 1024) == 401)
        #expect(deliver(bytes: 64 * 1024 + 1) == 413)
    }
}
