import HTTPServer

extension Application {
    /// `POST /api/tenants/{tenantId}/whatsapp/connect`. Authorization is in place; the body comes with issue #5
    /// and answers 501 `not_implemented` until then.
    func connect(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        _ = try authorize(request, tenantID: parameters["tenantId"], context: context)
        throw APIError(.notImplemented)
    }

    /// `GET /api/tenants/{tenantId}/whatsapp/status`. Authorization is in place; 501 until issue #5.
    func status(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        _ = try authorize(request, tenantID: parameters["tenantId"], context: context)
        throw APIError(.notImplemented)
    }

    /// `DELETE /api/tenants/{tenantId}/whatsapp/disconnect`. Authorization is in place; 501 until issue #5.
    func disconnect(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        _ = try authorize(request, tenantID: parameters["tenantId"], context: context)
        throw APIError(.notImplemented)
    }
}
