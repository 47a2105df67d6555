internal import COpenSSL
import Foundation

/// Compact HMAC-signed tokens for the tests, built byte by byte, so that a test can mint exactly the token it means:
/// an ordinary one, or a malformed or hostile one (duplicate keys, odd encodings, wrong types, another algorithm).
///
/// Independent of the `JWT` module under test: base64url by Foundation, the signature by OpenSSL's one-shot `HMAC()`
/// over the encoded header and payload exactly as given. The test targets wrap it with their own defaults (secret,
/// claims).
public enum TokenMinter {
    /// The hash function of the HMAC: HS256, HS384 or HS512.
    public enum Digest: Sendable {
        case sha256, sha384, sha512
    }

    /// The header of an ordinary HS256 token.
    public static let hs256Header = #"{"alg":"HS256","typ":"JWT"}"#

    /// Now, in whole seconds since the epoch: what `iat`, `nbf` and `exp` count, on the clock the verifier reads.
    public static var now: Int { Int(Date().timeIntervalSince1970) }

    /// A token from a header and a payload written as JSON text, kept byte for byte.
    public static func token(
        header: String = hs256Header, payload: String, secret: [UInt8], digest: Digest = .sha256
    ) -> String {
        token(encodedHeader: encode(header), encodedPayload: encode(payload), secret: secret, digest: digest)
    }

    /// `header.payload.signature` from segments given already encoded (possibly non-canonically), signed over
    /// exactly that text.
    public static func token(
        encodedHeader: String, encodedPayload: String, secret: [UInt8], digest: Digest = .sha256
    ) -> String {
        let signingInput = "\(encodedHeader).\(encodedPayload)"
        return "\(signingInput).\(encode(mac(Array(signingInput.utf8), secret: secret, digest: digest)))"
    }

    /// The base64url text of `bytes`, without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The base64url text of the UTF-8 of `text`.
    public static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    /// The bytes of base64url `text` (padding optional), decoded by Foundation, or nil when it is not base64url.
    public static func decode(_ text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map { Array($0) }
    }

    /// The HMAC of `data` under `secret` with `digest`.
    public static func mac(_ data: [UInt8], secret: [UInt8], digest: Digest) -> [UInt8] {
        let md: OpaquePointer? =
            switch digest {
            case .sha256: EVP_sha256()
            case .sha384: EVP_sha384()
            case .sha512: EVP_sha512()
            }
        // EVP_MAX_MD_SIZE (64) is the longest digest OpenSSL writes; `length` says how much of it is the MAC.
        var output = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let written = HMAC(md, secret, Int32(secret.count), data, data.count, &output, &length)
        precondition(written != nil, "OpenSSL's HMAC() failed")
        return Array(output.prefix(Int(length)))
    }
}
