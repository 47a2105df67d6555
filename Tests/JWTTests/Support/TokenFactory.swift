import COpenSSL
import Foundation

/// Builds compact tokens byte by byte for the tests, signed with HMAC by OpenSSL's one-shot `HMAC()`, so that a
/// test can produce exactly the malformed or hostile token it means (duplicate keys, odd encodings, wrong types).
enum TokenFactory {
    /// A secret of 32 bytes, the shortest accepted.
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    /// The base64url text of `bytes`, without padding.
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of base64url `text` (padding optional), decoded by Foundation, or nil.
    static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map { Array($0) }
    }

    /// The base64url text of the UTF-8 of `text`.
    static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    /// `header.payload.signature` with an HMAC over the encoded header and payload exactly as given.
    static func token(
        encodedHeader: String, encodedPayload: String, secret: [UInt8] = secret, digest: String = "SHA256"
    ) -> String {
        let signingInput = "\(encodedHeader).\(encodedPayload)"
        return "\(signingInput).\(encode(mac(Array(signingInput.utf8), secret: secret, digest: digest)))"
    }

    /// A token from a header and a payload written as JSON text (kept byte for byte).
    static func token(
        header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String, secret: [UInt8] = secret,
        digest: String = "SHA256"
    ) -> String {
        token(encodedHeader: encode(header), encodedPayload: encode(payload), secret: secret, digest: digest)
    }

    /// HMAC of `data` with `digest` (`SHA256`, `SHA384`, `SHA512`).
    static func mac(_ data: [UInt8], secret: [UInt8], digest: String) -> [UInt8] {
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
