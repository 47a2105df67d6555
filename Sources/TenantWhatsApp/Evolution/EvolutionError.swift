/// Why an Evolution API call failed.
///
/// `description` is safe to log (a code, a status, a curl code); the upstream's own messages are only in
/// `debugDescription`. Neither ever holds the API key: the client never puts it anywhere but the `apikey` header.
///
/// How a caller maps these to the contract (docs/api.md, "Errors"): `unreachable` → 503, `timeout` → 504, `badResponse` → 502
/// `upstream_bad_response`; `unauthorized` (our key is wrong), `server`, `tls` and `transport` → 502
/// `upstream_error`. `unauthorized` is never passed on as a 401: the caller's token was fine, ours was not.
public enum EvolutionError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// No connection: the host did not resolve, or refused or dropped the TCP connection attempt.
    case unreachable(curlCode: Int32)
    /// No complete answer within the configured deadline.
    case timeout
    /// The TLS handshake or certificate verification failed (fail-closed).
    case tls(curlCode: Int32)
    /// The exchange broke after connecting (reset, empty or cut-short response), or the request could not be built
    /// (`curlCode` nil).
    case transport(curlCode: Int32?)
    /// HTTP 401: Evolution refused *our* API key.
    case unauthorized
    /// HTTP 404: the instance does not exist (or the route does not).
    case notFound
    /// HTTP 403 on create: `This name "x" is already in use.`
    case nameInUse
    /// HTTP 400 on delete: `The "x" instance needs to be disconnected` (Evolution v1): log out first.
    case needsLogout
    /// The answer is not what Evolution answers for this call.
    case badResponse(EvolutionBadResponse)
    /// Any other error status, with the upstream's messages (for `debugDescription` only).
    case server(status: Int, messages: [String])
    /// Not sent: the circuit breaker holds calls back after repeated failures, for `retryAfter` more.
    case circuitOpen(retryAfter: Duration)
    /// Not sent: this process already has `EVOLUTION_MAX_IN_FLIGHT_PER_SERVER` calls in flight to that server, so
    /// that one slow server never holds most of the workers.
    case saturated
    /// Not sent: the tenant's server is disabled (it gets no call at all) or not known to this process.
    case serverUnavailable

    /// True when the failure says Evolution itself is down or broken (refused, timed out, 5xx, a broken answer):
    /// what the circuit breaker counts. A 4xx about an instance or our key says Evolution is up.
    public var indicatesOutage: Bool {
        switch self {
        case .unreachable, .timeout, .tls, .transport, .badResponse: true
        case .server(let status, _): status >= 500
        case .unauthorized, .notFound, .nameInUse, .needsLogout, .circuitOpen, .saturated, .serverUnavailable: false
        }
    }

    /// A stable machine code for logs.
    public var code: String {
        switch self {
        case .unreachable: "evolution_unreachable"
        case .timeout: "evolution_timeout"
        case .tls: "evolution_tls"
        case .transport: "evolution_transport"
        case .unauthorized: "evolution_unauthorized"
        case .notFound: "evolution_not_found"
        case .nameInUse: "evolution_name_in_use"
        case .needsLogout: "evolution_needs_logout"
        case .badResponse: "evolution_bad_response"
        case .server: "evolution_server_error"
        case .circuitOpen: "evolution_circuit_open"
        case .saturated: "evolution_saturated"
        case .serverUnavailable: "evolution_server_unavailable"
        }
    }

    /// One line, safe to log.
    public var description: String {
        switch self {
        case .unreachable(let curlCode): "\(code) (curl \(curlCode))"
        case .tls(let curlCode): "\(code) (curl \(curlCode))"
        case .transport(let curlCode): curlCode.map { "\(code) (curl \($0))" } ?? "\(code) (request not sent)"
        case .badResponse(let reason): "\(code): \(reason)"
        case .server(let status, _): "\(code): HTTP \(status)"
        case .timeout, .unauthorized, .notFound, .nameInUse, .needsLogout, .circuitOpen, .saturated, .serverUnavailable:
            code
        }
    }

    /// `description` plus what the upstream said (its messages; never a header, never our key).
    public var debugDescription: String {
        switch self {
        case .server(_, let messages) where !messages.isEmpty:
            description + ": " + messages.joined(separator: "; ")
        case .badResponse(.failureReported(let message?)):
            description + ": " + message
        default:
            description
        }
    }
}

/// How an answer differed from Evolution's contract.
public enum EvolutionBadResponse: Sendable, Equatable, CustomStringConvertible {
    /// The body is not JSON (an HTML error page, an empty body, garbage).
    case notJSON
    /// The JSON lacks a field or has a field of the wrong type; `field` names it (never its value).
    case unexpectedShape(field: String)
    /// The body exceeded the client's cap.
    case tooLarge(limit: Int)
    /// HTTP 200 with `{"error":true,"message":…}`: Evolution caught its own failure (often `[object Object]`).
    case failureReported(message: String?)
    /// A status this call never answers with, such as a redirect (never followed).
    case unexpectedStatus(Int)

    /// One line, safe to log.
    public var description: String {
        switch self {
        case .notJSON: "the body is not JSON"
        case .unexpectedShape(let field): "unexpected JSON at \(field)"
        case .tooLarge(let limit): "the body exceeds \(limit) bytes"
        case .failureReported: "HTTP 200 with error:true"
        case .unexpectedStatus(let status): "unexpected HTTP \(status)"
        }
    }
}
