/// The JWS algorithms this module verifies (RFC 7518 §3). A deployment configures exactly one of them.
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    /// HMAC with SHA-256 and a shared secret of at least 32 bytes.
    case hs256 = "HS256"
    /// RSASSA-PKCS1-v1_5 with SHA-256 and an RSA public key of at least 2048 bits.
    case rs256 = "RS256"
    /// ECDSA on P-256 with SHA-256; signatures are the raw 64-byte `r || s` of RFC 7518 §3.4.
    case es256 = "ES256"
}
