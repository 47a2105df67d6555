import HTTPServer

/// `GET /api/health` → 200 `{"status":"ok"}`: the process is up. Touches nothing else, so a load balancer can
/// poll it cheaply.
struct HealthHandler: RouteHandler {
    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        Self.response
    }

    /// Made once: the answer never changes.
    private static let response = HTTPResponse.json(.ok, ["status": "ok"])
}
