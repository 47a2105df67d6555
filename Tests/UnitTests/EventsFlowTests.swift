import HTTPServer
import JSON
import Secrets
import Testing

@testable import TenantWhatsApp

/// The event stream's two routes through in-memory fakes (docs/events.md): the ticket issued for the token's tenant
/// and stored only as its digest; each refusal of a subscription in its order, touching nothing it need not; nchan's
/// `authorize` and `subscribed` subrequests; the route reached without nchan answering 503.
@Suite("Events flow")
struct EventsFlowTests {
    private let kit: FlowTestKit
    private let tickets = FakeEventTicketStore()
    private let publisher = RecordingStatePublisher()
    private let application: Application

    init() throws {
        var settings = FlowSettings(qrWait: .seconds(2), upstreamTimeout: .seconds(1))
        settings.webhooks = true
        kit = try FlowTestKit(settings: settings)
        var dependencies = kit.dependencies
        dependencies.publisher = publisher
        application = Application(
            router: Application.router(whatsApp: dependencies, tickets: tickets, checkDatabase: {}))
        tickets.addTenant("t1")
        tickets.addTenant("t2")
    }

    private func issue(tenant: String = "t1", token: String? = TestToken.make()) -> RouteAnswer {
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        return answer(
            HTTPRequest(
                method: .post, path: "/api/tenants/\(tenant)/whatsapp/events/ticket", headers: headers,
                requestID: FlowTestKit.requestID))
    }

    private func subscribe(
        tenant: String = "t1", query: String?, accept: String? = "text/event-stream", subrequest: String? = "authorize"
    ) -> RouteAnswer {
        var headers = HTTPHeaders()
        if let accept { headers.add(name: "Accept", value: accept) }
        return answer(
            HTTPRequest(
                method: .get, path: "/api/tenants/\(tenant)/whatsapp/events", query: query, headers: headers,
                requestID: FlowTestKit.requestID, subrequest: subrequest))
    }

    private func answer(_ request: HTTPRequest) -> RouteAnswer {
        RouteAnswer(
            application.respond(
                to: request, context: RequestContext(requestID: FlowTestKit.requestID, startedAt: kit.startedAt)))
    }

    /// A live ticket of `tenant`, stored as the route would store it.
    private func ticket(of tenant: String, isLive: Bool = true) throws -> String {
        let ticket = try OpaqueToken.generate()
        tickets.store(digest: try #require(OpaqueToken.digest(of: ticket)), tenant: tenant, isLive: isLive)
        return ticket
    }

    @Test func aTicketIsIssuedForTheTokensTenantAndStoredOnlyAsItsDigest() throws {
        let answer = issue()

        #expect(answer.status == 201)
        let ticket = try #require(answer.body["ticket"]?.stringValue)
        #expect(ticket.count == 64 && ticket.allSatisfy(\.isHexDigit))
        #expect(answer.body["expiresAt"]?.stringValue == FakeEventTicketStore.expiresAt)
        #expect(tickets.digests == [try #require(OpaqueToken.digest(of: ticket))])
        #expect(!tickets.digests.contains(ticket))
    }

    @Test func twoTicketsAreNeverTheSame() throws {
        let first = try #require(issue().body["ticket"]?.stringValue)
        let second = try #require(issue().body["ticket"]?.stringValue)
        #expect(first != second)
    }

    @Test func aTicketNeedsATokenForThatTenantAndATenantThatExists() {
        #expect(issue(token: nil).error == "missing_token")
        #expect(issue(tenant: "t2").error == "tenant_forbidden")
        #expect(issue(tenant: "t3", token: TestToken.make(tenantID: "t3")).status == 404)
        #expect(tickets.digests.isEmpty)
    }

    @Test func nchansAuthorizationOfALiveTicketOfTheTenantIs204() throws {
        let answer = subscribe(query: "ticket=\(try ticket(of: "t1"))")
        #expect(answer.status == 204)
        #expect(publisher.tenants.isEmpty)
    }

    @Test func refusalsComeInTheirOrderAndAMalformedTicketCostsNoLookup() throws {
        #expect(subscribe(query: nil).error == "missing_ticket")
        #expect(subscribe(query: "ticket=").error == "missing_ticket")
        #expect(subscribe(tenant: "bad!", query: "ticket=x").error == "invalid_tenant_id")
        #expect(subscribe(query: "ticket=not-hex").error == "invalid_ticket")
        #expect(tickets.lookups == 0)
        #expect(subscribe(query: "ticket=\(try OpaqueToken.generate())").error == "invalid_ticket")
        #expect(subscribe(query: "ticket=\(try ticket(of: "t1", isLive: false))").error == "invalid_ticket")
        let other = subscribe(query: "ticket=\(try ticket(of: "t2"))")
        #expect(other.status == 403 && other.error == "tenant_forbidden")
        let json = subscribe(query: "ticket=\(try ticket(of: "t1"))", accept: "application/json")
        #expect(json.status == 406 && json.error == "not_acceptable")
    }

    @Test func aMissingTicketIs401EvenWhenAcceptIsWrongToo() {
        #expect(subscribe(query: nil, accept: "application/json").status == 401)
        #expect(subscribe(query: "ticket=zz", accept: "application/json").status == 401)
    }

    @Test func theRouteReachedWithoutNchanAnswersEventsUnavailable() throws {
        let answer = subscribe(query: "ticket=\(try ticket(of: "t1"))", subrequest: nil)
        #expect(answer.status == 503)
        #expect(answer.body == RouteAnswer.envelope(.eventsUnavailable))
    }

    @Test func withoutWebhooksOrAPublisherEverySubscriptionIsEventsUnavailable() throws {
        let ticket = try ticket(of: "t1")
        for (webhooks, publishing) in [(false, true), (true, false)] {
            var dependencies = kit.dependencies
            var settings = dependencies.settings
            settings.webhooks = webhooks
            dependencies = WhatsAppDependencies(
                authorizer: dependencies.authorizer, tenants: dependencies.tenants, lock: dependencies.lock,
                servers: dependencies.servers, audit: dependencies.audit, tenantLimiter: dependencies.tenantLimiter,
                statusChecks: dependencies.statusChecks, settings: settings, clock: dependencies.clock,
                logger: dependencies.logger)
            dependencies.publisher = publishing ? publisher : NoStatePublisher()
            let router = Application.router(whatsApp: dependencies, tickets: tickets, checkDatabase: {})
            let answer = RouteAnswer(
                Application(router: router).respond(
                    to: HTTPRequest(
                        method: .get, path: "/api/tenants/t1/whatsapp/events", query: "ticket=\(ticket)",
                        headers: HTTPHeaders([("Accept", "text/event-stream")]), requestID: FlowTestKit.requestID,
                        subrequest: "authorize"),
                    context: RequestContext(requestID: FlowTestKit.requestID, startedAt: kit.startedAt)))
            #expect(answer.status == 503 && answer.error == "events_unavailable", "webhooks \(webhooks)")
            var headers = HTTPHeaders()
            headers.add(name: "Authorization", value: "Bearer \(TestToken.make())")
            let issued = RouteAnswer(
                Application(router: router).respond(
                    to: HTTPRequest(
                        method: .post, path: "/api/tenants/t1/whatsapp/events/ticket", headers: headers,
                        requestID: FlowTestKit.requestID),
                    context: RequestContext(requestID: FlowTestKit.requestID, startedAt: kit.startedAt)))
            #expect(issued.status == 503 && issued.error == "events_unavailable", "no ticket for a dead stream")
        }
    }

    @Test func nchansSubscribedNoticePublishesTheTenantsCurrentState() {
        let answer = subscribe(query: nil, subrequest: "subscribed")
        #expect(answer.status == 204)
        #expect(publisher.tenants == [FlowTestKit.tenant])
    }

    @Test(
        arguments: [
            ("text/event-stream", true), ("application/json, text/event-stream;q=0.5", true),
            ("TEXT/EVENT-STREAM", true), (nil, false), ("text/*", false), ("*/*", false),
            ("application/json", false), ("text/event-stream;q=0", false), ("text/html", false),
        ] as [(String?, Bool)])
    func acceptMustNameTheEventStream(accept: String?, accepted: Bool) {
        #expect(EventsHandler.acceptsEventStream(accept.map { [$0] } ?? []) == accepted)
    }

    @Test func theTicketIsReadFromAnyPositionOfTheQuery() {
        #expect(EventsHandler.ticket(in: "a=1&ticket=abc&b=2") == "abc")
        #expect(EventsHandler.ticket(in: "xticket=abc") == nil)
        #expect(EventsHandler.ticket(in: nil) == nil)
    }

    @Test func aConnectThatHandsOutAQRCodePublishesIt() throws {
        var dependencies = kit.dependencies
        dependencies.publisher = publisher
        let connecting = Application(router: Application.router(whatsApp: dependencies, checkDatabase: {}))
        kit.tenants.seed(FlowTestKit.tenant, .empty)
        kit.evolution.scriptCreate(.success(FakeEvolution.created(FlowTestKit.instance)))

        let answer = RouteAnswer(
            connecting.respond(
                to: HTTPRequest(
                    method: .post, path: "/api/tenants/t1/whatsapp/connect",
                    headers: {
                        var headers = HTTPHeaders()
                        headers.add(name: "Authorization", value: "Bearer \(TestToken.make())")
                        return headers
                    }(), requestID: FlowTestKit.requestID),
                context: RequestContext(requestID: FlowTestKit.requestID, startedAt: kit.startedAt)))

        #expect(answer.status == 201)
        #expect(publisher.qrCodes.last == .some(answer.body["qrcode"]?.stringValue))
    }
}
