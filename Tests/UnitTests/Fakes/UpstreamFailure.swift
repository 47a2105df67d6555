import Testing

@testable import TenantWhatsApp

/// An Evolution failure and the answer the contract gives it (docs/api.md, "Errors").
struct UpstreamFailure: Sendable, CustomTestStringConvertible {
    let error: EvolutionError
    let status: Int
    let code: ErrorCode
    /// The `Retry-After` header, when the answer has one.
    let retryAfter: String?

    var testDescription: String { "\(error) → \(status) \(code.rawValue)" }

    /// Every kind of failure a flow passes on.
    static let all: [UpstreamFailure] = [
        UpstreamFailure(error: .unreachable(curlCode: 7), status: 503, code: .upstreamUnavailable, retryAfter: nil),
        UpstreamFailure(error: .timeout, status: 504, code: .upstreamTimeout, retryAfter: nil),
        UpstreamFailure(error: .badResponse(.notJSON), status: 502, code: .upstreamBadResponse, retryAfter: nil),
        UpstreamFailure(
            error: .server(status: 500, messages: ["boom"]), status: 502, code: .upstreamError, retryAfter: nil),
        UpstreamFailure(error: .unauthorized, status: 502, code: .upstreamError, retryAfter: nil),
        UpstreamFailure(error: .tls(curlCode: 60), status: 502, code: .upstreamError, retryAfter: nil),
        UpstreamFailure(error: .transport(curlCode: 56), status: 502, code: .upstreamError, retryAfter: nil),
        UpstreamFailure(
            error: .circuitOpen(retryAfter: .milliseconds(2500)), status: 503, code: .upstreamUnavailable,
            retryAfter: "3"),
    ]
}
