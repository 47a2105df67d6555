internal import CCurl

/// Why an exchange failed, with libcurl's code where libcurl reported it.
///
/// `description` is safe to log: it names the failure and the curl code, never a URL, header or body.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host could not be resolved or the TCP connection was refused or not made (curl 5, 6, 7).
    case unreachable(curlCode: Int32)
    /// The deadline passed before the exchange finished (curl 28).
    case timeout(curlCode: Int32)
    /// The response body exceeded `limit` bytes; the transfer was stopped there (curl 23 from the write callback).
    case tooLarge(limit: Int)
    /// The TLS handshake or the certificate check failed (curl 35, 53, 54, 58–60, 64, 66, 77, 80, 82, 83, 90, 91,
    /// 98).
    case tls(curlCode: Int32)
    /// Any other transfer failure: connection reset, an empty or cut-short response, a protocol error.
    case transport(curlCode: Int32)
    /// The request was refused before anything was sent (a header with a line break, a URL that is not http(s)).
    case invalidRequest(reason: String)
    /// libcurl could not be initialised or a handle could not be created.
    case initializationFailed

    /// The curl code behind the error, if libcurl reported one.
    public var curlCode: Int32? {
        switch self {
        case .unreachable(let code), .timeout(let code), .tls(let code), .transport(let code): code
        case .tooLarge: CURLE_WRITE_ERROR.rawValue.asInt32
        case .invalidRequest, .initializationFailed: nil
        }
    }

    /// A stable machine code for logs.
    public var code: String {
        switch self {
        case .unreachable: "unreachable"
        case .timeout: "timeout"
        case .tooLarge: "too_large"
        case .tls: "tls"
        case .transport: "transport"
        case .invalidRequest: "invalid_request"
        case .initializationFailed: "initialization_failed"
        }
    }

    /// One line, safe to log: the failure and libcurl's own text for its code.
    public var description: String {
        switch self {
        case .tooLarge(let limit): "response body larger than \(limit) bytes"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .initializationFailed: "libcurl could not be initialised"
        case .unreachable(let code), .timeout(let code), .tls(let code), .transport(let code):
            "\(self.code) (curl \(code): \(Self.curlText(code)))"
        }
    }

    /// Classifies a failed `curl_easy_perform`.
    static func classify(_ code: CURLcode, bodyLimitExceeded: Bool, limit: Int) -> HTTPClientError {
        let raw = code.rawValue.asInt32
        if code == CURLE_WRITE_ERROR && bodyLimitExceeded { return .tooLarge(limit: limit) }
        switch code {
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            return .unreachable(curlCode: raw)
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout(curlCode: raw)
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_INITFAILED,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            return .tls(curlCode: raw)
        default:
            return .transport(curlCode: raw)
        }
    }

    /// libcurl's fixed English text for a code (static strings: no URL, no data).
    private static func curlText(_ code: Int32) -> String {
        guard let text = curl_easy_strerror(CURLcode(rawValue: UInt32(bitPattern: code))) else { return "unknown" }
        return String(cString: text)
    }
}

extension UInt32 {
    fileprivate var asInt32: Int32 { Int32(bitPattern: self) }
}
