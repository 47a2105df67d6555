/// Why a token was refused. Its description is safe to log: it names a rule, a header parameter or a claim,
/// never a value taken from the token.
public struct JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule the token broke.
    public enum Reason: String, Sendable, CaseIterable {
        /// Longer than ``JWTValidationOptions/maximumTokenLength``.
        case tooLarge = "token too large"
        /// Not three segments separated by dots.
        case malformed = "not a compact JWS of three segments"
        /// A segment is not canonical base64url without padding.
        case invalidEncoding = "segment is not canonical base64url"
        /// The header is not a JSON object (invalid UTF-8, duplicate keys, too deep, not an object...).
        case invalidHeader = "header is not a valid JSON object"
        /// `alg` is `none` in some spelling.
        case algorithmNone = "unsecured token (alg none)"
        /// `alg` is missing, not a string, or not the configured algorithm.
        case algorithmNotAllowed = "algorithm not allowed"
        /// The header carries a parameter this verifier refuses (`crit`, `jku`, `x5u`, `jwk`, `x5c`, `b64`).
        case forbiddenHeaderParameter = "forbidden header parameter"
        /// `typ` names something other than a JWT access token.
        case wrongType = "wrong token type"
        /// The signature does not verify with the configured key.
        case invalidSignature = "signature does not verify"
        /// The payload is not a JSON object.
        case invalidClaims = "payload is not a valid JSON object"
        /// A required claim is absent.
        case missingClaim = "required claim missing"
        /// A claim has the wrong JSON type or an impossible value.
        case invalidClaim = "claim has a wrong type or value"
        /// The claims say this is not an access token (an ID or refresh token).
        case wrongTokenUse = "not an access token"
        /// `iss` is not the configured issuer.
        case wrongIssuer = "wrong issuer"
        /// `aud` does not contain the configured audience.
        case wrongAudience = "wrong audience"
        /// `nbf` is later than now plus the leeway.
        case notYetValid = "not yet valid (nbf)"
        /// `iat` is later than now plus the leeway.
        case issuedInTheFuture = "issued in the future (iat)"
        /// `exp` is earlier than now minus the leeway; everything else about the token was valid.
        case expired = "expired"
    }

    /// The rule the token broke.
    public let reason: Reason
    /// The header parameter or claim concerned, when there is one (a name, never a value).
    public let name: String?

    /// An error for `reason`, about the parameter or claim `name`.
    public init(_ reason: Reason, name: String? = nil) {
        self.reason = reason
        self.name = name
    }

    /// Whether the only fault is the expiry (answered as `token_expired` rather than `invalid_token`).
    public var isExpired: Bool { reason == .expired }

    /// `invalid JWT: wrong audience (aud)`.
    public var description: String {
        guard let name else { return "invalid JWT: \(reason.rawValue)" }
        return "invalid JWT: \(reason.rawValue) (\(name))"
    }
}
