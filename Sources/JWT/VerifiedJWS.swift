import JSON

/// A compact JWS whose structure, header and signature have been verified; its payload is still unchecked bytes.
public struct VerifiedJWS: Sendable {
    /// The protected header, a JSON object that passed the header rules.
    public let header: JSONValue
    /// The decoded payload, whatever it holds (a JWT's claims once ``JWTVerifier/validateClaims(_:)`` accepts them).
    public let payload: [UInt8]
}
