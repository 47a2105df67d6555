import HTTPServer

/// The routes of the API, each a pattern on the raw path.
public enum Endpoint: Sendable, Equatable {
    /// `GET /api/health`: the process answers (no database, no upstream).
    case health
    /// `GET /api/ready`: PostgreSQL answers and the schema is migrated.
    case ready
    /// `POST /api/tenants/{tenantId}/whatsapp/connect`: create or reuse the tenant's instance, answer its QR code.
    case connect
    /// `GET /api/tenants/{tenantId}/whatsapp/status`: the tenant's connection state.
    case status
    /// `DELETE /api/tenants/{tenantId}/whatsapp/disconnect`: delete the tenant's instance.
    case disconnect

    /// The router for every endpoint.
    public static let router: Router<Endpoint> = {
        var router = Router<Endpoint>()
        router.add(.get, "/api/health", .health)
        router.add(.get, "/api/ready", .ready)
        router.add(.post, "/api/tenants/{tenantId}/whatsapp/connect", .connect)
        router.add(.get, "/api/tenants/{tenantId}/whatsapp/status", .status)
        router.add(.delete, "/api/tenants/{tenantId}/whatsapp/disconnect", .disconnect)
        return router
    }()
}
