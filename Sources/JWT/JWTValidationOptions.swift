/// What a verifier requires of a token beyond its signature.
public struct JWTValidationOptions: Sendable, Equatable {
    /// The exact `iss` a token must carry, or nil to accept any (a string, when present).
    public var issuer: String?
    /// The audience a token's `aud` (a string, or an array of strings) must contain, or nil to accept any.
    public var audience: String?
    /// The clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    public var leewaySeconds: Int
    /// The longest compact token accepted, in bytes; longer ones are rejected before any decoding.
    public var maximumTokenLength: Int

    /// Options with the defaults this service uses: 60 s of leeway and tokens of at most 4 KiB.
    public init(
        issuer: String? = nil, audience: String? = nil, leewaySeconds: Int = 60, maximumTokenLength: Int = 4096
    ) {
        self.issuer = issuer
        self.audience = audience
        self.leewaySeconds = leewaySeconds
        self.maximumTokenLength = maximumTokenLength
    }
}
