import HTTPServer
import Postgres
import Secrets

/// `POST /api/tenants/{tenantId}/whatsapp/events/ticket`: a ticket for the tenant's event stream (docs/events.md).
///
/// A browser's EventSource cannot send an `Authorization` header, and a JWT in a URL ends up in logs and history, so
/// the page trades its JWT for an opaque ticket of 256 random bits, bound to the tenant, valid for ``lifetime`` for
/// any number of subscriptions (the browser's own reconnects), and opens `…/events?ticket=…`.
///
/// Where the stream could never carry a change (``isLive`` false: no webhooks, or no publisher), no ticket is issued:
/// 503 `events_unavailable` after the same checks, and the page polls `GET status`.
struct EventTicketHandler: RouteHandler {
    let authorizer: TenantAuthorizer
    let tickets: any EventTicketStore
    /// Whether changes reach the stream by themselves (see ``EventsHandler/isLive``).
    let isLive: Bool

    /// How long a ticket opens subscriptions.
    static let lifetime = Duration.seconds(60)

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        let tenant = try authorizer.authorize(request, tenantID: parameters["tenantId"], context: context)
        guard isLive else { throw APIError(.eventsUnavailable) }
        let ticket: String
        do {
            ticket = try OpaqueToken.generate()
        } catch {
            context.logMetadata["ticket"] = .string(error.description)
            throw APIError(.internalError)
        }
        guard let digest = OpaqueToken.digest(of: ticket) else { throw APIError(.internalError) }
        let expiresAt = try context.database("issueTicket") { () throws(PostgresError) in
            try tickets.issue(digest: digest, for: tenant, lifetime: Self.lifetime)
        }
        guard let expiresAt else { throw APIError(.tenantNotFound) }
        return .json(.created, ["ticket": .string(ticket), "expiresAt": .string(expiresAt)])
    }
}
