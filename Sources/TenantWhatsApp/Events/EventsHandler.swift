import HTTPServer
import Postgres
import Runtime
import Secrets

/// `GET /api/tenants/{tenantId}/whatsapp/events?ticket=…`: the tenant's live state as Server-Sent Events
/// (docs/events.md).
///
/// nginx's nchan module holds the stream; the responder only decides. nchan asks it twice, through internal
/// locations that set `EVENTS_SUBREQUEST` (a client cannot):
/// - `authorize`, before subscribing: 204 lets the subscription through; a refusal's status and envelope reach the
///   client as they are. In this order: 401 `missing_ticket`, 400 `invalid_tenant_id`, 401 `invalid_ticket`
///   (unknown, malformed or expired), 403 `tenant_forbidden` (another tenant's ticket), 406 `not_acceptable` (an
///   `Accept` that does not name `text/event-stream`).
/// - `subscribed`, once the subscriber is on the channel: the tenant's current state is published, so it is the first
///   message every new subscriber gets.
///
/// The route reached any other way (nginx without the events include) makes the same checks, then answers 503
/// `events_unavailable`: the page polls `GET status` instead. So does every subscription when this deployment cannot
/// push (`isLive` false): without Evolution's webhooks a scan is only learnt by asking status, and without
/// `NCHAN_PUBLISH_SOCKET` nothing is ever published.
struct EventsHandler: RouteHandler {
    let tickets: any EventTicketStore
    let publisher: any TenantStatePublisher
    /// Whether changes reach the stream by themselves: webhooks on and a publisher configured.
    let isLive: Bool

    /// `EVENTS_SUBREQUEST`'s values (nginx/tenant-whatsapp.events.locations.conf).
    enum Subrequest {
        static let authorize = "authorize"
        static let subscribed = "subscribed"
    }

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        if request.subrequest == Subrequest.subscribed {
            guard let tenant = parameters["tenantId"].flatMap(TenantID.init) else { throw APIError(.invalidTenantID) }
            context.logMetadata["tenantId"] = .string(tenant.rawValue)
            publisher.publish(tenant, qrCode: nil)
            return HTTPResponse(status: .noContent)
        }
        guard let ticket = Self.ticket(in: request.query) else { throw APIError(.missingTicket) }
        guard let tenant = parameters["tenantId"].flatMap(TenantID.init) else { throw APIError(.invalidTenantID) }
        context.logMetadata["tenantId"] = .string(tenant.rawValue)
        guard let digest = OpaqueToken.digest(of: ticket) else { throw APIError(.invalidTicket) }
        let found = try context.database("findTicket") { () throws(PostgresError) in
            try tickets.find(digest: digest)
        }
        guard let found, found.isLive else { throw APIError(.invalidTicket) }
        guard found.tenant == tenant.rawValue else { throw APIError(.tenantForbidden) }
        guard Self.acceptsEventStream(request.headers.values(for: "accept")) else { throw APIError(.notAcceptable) }
        guard isLive, request.subrequest == Subrequest.authorize else { throw APIError(.eventsUnavailable) }
        return HTTPResponse(status: .noContent)
    }

    /// The `ticket` parameter of a raw query string, or nil when it is absent or empty. Tickets are hex digits, so
    /// the value is taken as it is: a percent-encoded one is malformed.
    static func ticket(in query: String?) -> String? {
        guard let query else { return nil }
        for item in query.split(separator: "&", omittingEmptySubsequences: true) where item.hasPrefix("ticket=") {
            let value = item.dropFirst("ticket=".count)
            return value.isEmpty ? nil : String(value)
        }
        return nil
    }

    /// Whether `Accept` names `text/event-stream` with a weight above zero (RFC 9110, 12.5.1). A wildcard (`*/*`,
    /// `text/*`) or no `Accept` is not enough: nchan serves a stream only to a request naming the type (an
    /// EventSource always does), and the route must answer the same with or without it.
    static func acceptsEventStream(_ fields: [String]) -> Bool {
        for field in fields {
            for range in field.split(separator: ",") {
                let parts = range.split(separator: ";").map { $0.trimmingSpaces().lowercased() }
                guard parts.first == "text/event-stream" else { continue }
                let weight = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) }
                if (weight ?? 1) > 0 { return true }
            }
        }
        return false
    }
}
