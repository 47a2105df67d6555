import HTTPServer
import JWT

/// Finds the bearer token of a request and verifies it.
struct Authenticator: Sendable {
    /// The verifier and the tenant claim's name.
    let settings: AuthenticationSettings

    /// The claims of the request's valid bearer token.
    func authenticate(_ request: HTTPRequest) throws(AuthenticationFailure) -> JWTClaims {
        let token = try Self.bearerToken(in: request.headers)
        do {
            return try settings.verifier.verify(token)
        } catch {
            throw .rejected(error)
        }
    }

    /// The token of the single `Authorization: Bearer <token>` header (RFC 6750 §2.1; the scheme in any case).
    ///
    /// Two `Authorization` headers are refused rather than choosing one (nginx already answers 400 to that).
    static func bearerToken(in headers: HTTPHeaders) throws(AuthenticationFailure) -> String {
        let values = headers.values(for: "authorization")
        guard let value = values.first else { throw .noBearerToken }
        guard values.count == 1 else { throw .malformedHeader }
        // Byte by byte (this runs for every request): the scheme up to the first space, then the token after the
        // spaces that follow it.
        let bytes = value.utf8
        let schemeEnd = bytes.firstIndex(of: UInt8(ascii: " ")) ?? bytes.endIndex
        guard bytes[..<schemeEnd].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }) else {
            throw .noBearerToken
        }
        let tokenStart = bytes[schemeEnd...].firstIndex { $0 != UInt8(ascii: " ") } ?? bytes.endIndex
        let token = bytes[tokenStart...]
        guard !token.isEmpty, token.allSatisfy(isBase64TokenCharacter) else { throw .malformedHeader }
        return String(Substring(token))
    }

    /// RFC 6750 `b64token`: `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`, then `"="`s.
    private static func isBase64TokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            true
        default: false
        }
    }
}
