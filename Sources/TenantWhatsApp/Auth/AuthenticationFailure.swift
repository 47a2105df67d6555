import HTTPServer
import JWT

/// Why a request was not authenticated: what it is answered (RFC 6750 §3) and what the log says.
enum AuthenticationFailure: Error, Sendable, CustomStringConvertible {
    /// No `Authorization` header, or one with another scheme (`Basic`, `Token`): no bearer token was presented.
    case noBearerToken
    /// An `Authorization: Bearer` header that cannot hold a token (empty, spaces inside, repeated header).
    case malformedHeader
    /// A token the verifier refused.
    case rejected(JWTError)

    /// 401 with `WWW-Authenticate`: plain `Bearer` when no token came (RFC 6750 §3.1: no error code then),
    /// `error="invalid_token"` otherwise, with a description for an expired token.
    var apiError: APIError {
        switch self {
        case .noBearerToken:
            APIError(.missingToken, headers: HTTPHeaders([("WWW-Authenticate", "Bearer")]))
        case .malformedHeader:
            APIError(.invalidToken, headers: HTTPHeaders([("WWW-Authenticate", #"Bearer error="invalid_token""#)]))
        case .rejected(let error) where error.isExpired:
            APIError(
                .tokenExpired,
                headers: HTTPHeaders([
                    ("WWW-Authenticate", #"Bearer error="invalid_token", error_description="The access token expired""#)
                ]))
        case .rejected:
            APIError(.invalidToken, headers: HTTPHeaders([("WWW-Authenticate", #"Bearer error="invalid_token""#)]))
        }
    }

    /// For the request's log line; never contains the token.
    var description: String {
        switch self {
        case .noBearerToken: "no bearer token"
        case .malformedHeader: "malformed Authorization header"
        case .rejected(let error): error.description
        }
    }
}
