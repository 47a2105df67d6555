import COpenSSL
import Foundation

/// Bearer tokens for the integration tests, built byte by byte and MAC'd with OpenSSL's one-shot `HMAC()`, so a
/// test can send exactly the hostile token it means.
enum TestTokens {
    /// The HS256 secret every test responder gets unless a test configures its own key (see ``TestResponder``).
    static let secret = "integration-test-secret-0123456789abcdef"
    /// The issuer and audience the JWT suites configure.
    static let issuer = "https://auth.tenant-whatsapp.test"
    static let audience = "tenant-whatsapp"

    /// Now, in seconds since the epoch (the responder reads the same clock).
    static var now: Int { Int(Date().timeIntervalSince1970) }

    /// Claims accepted by a responder configured with ``issuer`` and ``audience``, for `tenantID`, with `extra`
    /// members appended (raw JSON, e.g. `"nbf":1`) and `iat` or `exp` replaced when given (raw JSON).
    static func claims(tenantID: String = "t1", iat: String? = nil, exp: String? = nil, _ extra: String = "") -> String
    {
        let members = [
            #""sub":"user-1""#, #""tenantId":"\#(tenantID)""#, #""iss":"\#(issuer)""#, #""aud":"\#(audience)""#,
            #""iat":\#(iat ?? String(now - 5))"#, #""exp":\#(exp ?? String(now + 600))"#,
        ]
        return "{" + (members + (extra.isEmpty ? [] : [extra])).joined(separator: ",") + "}"
    }

    /// A token from a header and payload written as JSON text, kept byte for byte.
    static func token(
        header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String = claims(), secret: String = secret,
        digest: String = "SHA256"
    ) -> String {
        token(
            encodedHeader: encode(header), encodedPayload: encode(payload), secret: Array(secret.utf8), digest: digest)
    }

    /// A token whose segments are given already encoded (possibly non-canonically), MAC'd over exactly that text.
    static func token(
        encodedHeader: String, encodedPayload: String, secret: [UInt8] = Array(secret.utf8), digest: String = "SHA256"
    ) -> String {
        let input = "\(encodedHeader).\(encodedPayload)"
        return "\(input).\(encode(mac(Array(input.utf8), secret: secret, digest: digest)))"
    }

    /// The base64url text of `bytes`, without padding.
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The base64url text of the UTF-8 of `text`.
    static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    private static func mac(_ data: [UInt8], secret: [UInt8], digest: String) -> [UInt8] {
        let md: OpaquePointer? =
            switch digest {
            case "SHA384": EVP_sha384()
            case "SHA512": EVP_sha512()
            default: EVP_sha256()
            }
        var output = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        _ = HMAC(md, secret, Int32(secret.count), data, data.count, &output, &length)
        return Array(output.prefix(Int(length)))
    }
}
