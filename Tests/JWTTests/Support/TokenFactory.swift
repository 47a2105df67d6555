import TestTokenMinting

/// Tokens for the JWT tests: ``TokenMinter`` signing with ``secret`` unless told otherwise, so that a test can
/// produce exactly the malformed or hostile token it means (duplicate keys, odd encodings, wrong types).
enum TokenFactory {
    /// A secret of 32 bytes, the shortest accepted.
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    /// The base64url text of `bytes`, without padding.
    static func encode(_ bytes: [UInt8]) -> String { TokenMinter.encode(bytes) }

    /// The base64url text of the UTF-8 of `text`.
    static func encode(_ text: String) -> String { TokenMinter.encode(text) }

    /// The bytes of base64url `text` (padding optional), decoded by Foundation, or nil.
    static func decode(_ text: String) -> [UInt8]? { TokenMinter.decode(text) }

    /// `header.payload.signature` with an HMAC over the encoded header and payload exactly as given.
    static func token(
        encodedHeader: String, encodedPayload: String, secret: [UInt8] = secret, digest: TokenMinter.Digest = .sha256
    ) -> String {
        TokenMinter.token(encodedHeader: encodedHeader, encodedPayload: encodedPayload, secret: secret, digest: digest)
    }

    /// A token from a header and a payload written as JSON text (kept byte for byte).
    static func token(
        header: String = TokenMinter.hs256Header, payload: String, secret: [UInt8] = secret,
        digest: TokenMinter.Digest = .sha256
    ) -> String {
        TokenMinter.token(header: header, payload: payload, secret: secret, digest: digest)
    }
}
