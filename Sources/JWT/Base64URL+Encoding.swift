import Runtime

extension Base64URL {
    /// The canonical base64url text of `bytes` (RFC 4648 §5) without padding, as a JWS segment needs (RFC 7515 §2):
    /// the one encoding ``decode(_:)`` accepts.
    static func encode(_ bytes: [UInt8]) -> String {
        Base64Digits.url.encode(bytes)
    }
}
