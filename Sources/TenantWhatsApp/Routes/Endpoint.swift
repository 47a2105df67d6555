import HTTPServer

/// The routes of the API, each a pattern on the raw path.
public enum Endpoint: Sendable, Equatable {
    /// `GET /api/health`: the process answers (no database, no upstream).
    case health
    /// `GET /api/ready`: PostgreSQL answers and the schema is migrated.
    case ready

    /// The router for every endpoint.
    public static let router: Router<Endpoint> = {
        var router = Router<Endpoint>()
        router.add(.get, "/api/health", .health)
        router.add(.get, "/api/ready", .ready)
        return router
    }()
}
