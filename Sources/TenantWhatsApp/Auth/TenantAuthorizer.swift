import HTTPServer
import JWT

/// The first step of every tenant route: who is asking, for which tenant, and may they.
struct TenantAuthorizer: Sendable {
    let authenticator: Authenticator

    /// The tenant the request may act on, put on the request's log line.
    ///
    /// In this order, each refusal touching neither PostgreSQL nor Evolution:
    /// 1. authenticate the bearer token — 401 `missing_token`, `invalid_token` or `token_expired`, so that a
    ///    caller without a valid token learns nothing about the path;
    /// 2. validate the path's tenant id — 400 `invalid_tenant_id`;
    /// 3. authorize: the token's tenant claim must be a string equal to that id — 403 `tenant_forbidden`.
    func authorize(
        _ request: HTTPRequest, tenantID pathTenantID: String?, context: RequestContext
    ) throws(APIError) -> TenantID {
        let claims: JWTClaims
        do {
            claims = try authenticator.authenticate(request)
        } catch {
            context.logMetadata["auth"] = .string(error.description)
            throw error.apiError
        }
        guard let pathTenantID, let tenant = TenantID(pathTenantID) else {
            context.logMetadata["auth"] = "invalid tenant id in path"
            throw APIError(.invalidTenantID)
        }
        context.logMetadata["tenantId"] = .string(tenant.rawValue)
        guard claims.string(authenticator.settings.tenantClaim) == tenant.rawValue else {
            context.logMetadata["auth"] = "token is not for this tenant"
            throw APIError(.tenantForbidden)
        }
        return tenant
    }
}
