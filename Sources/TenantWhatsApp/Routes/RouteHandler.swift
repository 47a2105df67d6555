import HTTPServer

/// One route's answer: shared by every worker thread, so it holds only `Sendable` dependencies.
protocol RouteHandler: Sendable {
    /// The response to `request`, whose route captured `parameters` (still percent-encoded); errors become the
    /// envelope in one place (``Application``).
    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse
}
