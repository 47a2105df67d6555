import JSON

extension JWTVerifier {
    /// The latest NumericDate accepted: 9999-12-31T23:59:59Z. Anything beyond (an `exp` of 1e20) is not a date
    /// but a way to mint a token that never expires.
    public static let latestNumericDate: Double = 253_402_300_799

    /// Checks the claims of a verified payload.
    ///
    /// - the payload is a JSON object without duplicate names;
    /// - `exp` is required; `exp`, `nbf` and `iat` are numbers between 0 and ``latestNumericDate``; `iss`, `sub`
    ///   and `jti` are strings; `aud` is a string or an array of strings;
    /// - when configured, `iss` equals the issuer and `aud` contains the audience;
    /// - `nbf` and `iat` are not later than now plus the leeway;
    /// - claims that mark an ID or refresh token (`token_use` other than `access`, a `typ` claim other than
    ///   `Bearer`) are refused;
    /// - last, `exp` is later than now minus the leeway, so that ``JWTError/Reason/expired`` means "valid but
    ///   expired" and nothing else.
    public func validateClaims(_ payload: [UInt8]) throws(JWTError) -> JWTClaims {
        let members = try claimMembers(payload)
        let claims = JWTClaims(members: members)
        guard let expiresAt = try numericDate("exp", in: claims) else { throw JWTError(.missingClaim, name: "exp") }
        let notBefore = try numericDate("nbf", in: claims)
        let issuedAt = try numericDate("iat", in: claims)
        for name in ["iss", "sub", "jti"] where claims[name] != nil && claims.string(name) == nil {
            throw JWTError(.invalidClaim, name: name)
        }
        let audiences = try audienceValues(in: claims)
        try checkTokenUse(claims)

        if let issuer = options.issuer, claims.string("iss") != issuer { throw JWTError(.wrongIssuer, name: "iss") }
        if let audience = options.audience, !(audiences ?? []).contains(audience) {
            throw JWTError(.wrongAudience, name: "aud")
        }
        let now = Double(clock.now())
        let leeway = Double(options.leewaySeconds)
        if let notBefore, notBefore > now + leeway { throw JWTError(.notYetValid, name: "nbf") }
        if let issuedAt, issuedAt > now + leeway { throw JWTError(.issuedInTheFuture, name: "iat") }
        // RFC 7519 §4.1.4: the current time must be before exp (here, before exp plus the leeway).
        guard now < expiresAt + leeway else { throw JWTError(.expired, name: "exp") }
        return claims
    }

    /// A full verification, answered from `cache` while the token it verified earlier is still within its validity
    /// window (see ``VerifiedTokenCache``).
    func verify(_ token: String, remembering cache: VerifiedTokenCache) throws(JWTError) -> JWTClaims {
        let now = Double(clock.now())
        if let claims = cache.claims(for: token, at: now) { return claims }
        let claims = try verifyFully(token)
        // verify(_:) checked these claims: exp is there, and every date is a number in range.
        let leeway = Double(options.leewaySeconds)
        let notBefore = [claims["nbf"]?.doubleValue, claims["iat"]?.doubleValue].compactMap { $0 }.max()
        if let expiresAt = claims["exp"]?.doubleValue {
            cache.store(
                token,
                VerifiedTokenCache.Entry(
                    claims: claims, validFrom: notBefore.map { $0 - leeway } ?? -Double.infinity,
                    validUntil: expiresAt + leeway))
        }
        return claims
    }

    private func claimMembers(_ payload: [UInt8]) throws(JWTError) -> [(String, JSONValue)] {
        do {
            guard let members = try parser.parse(payload).objectMembers else { throw JWTError(.invalidClaims) }
            return members
        } catch {
            throw JWTError(.invalidClaims)
        }
    }

    /// A NumericDate claim (RFC 7519 §2): a JSON number of seconds, fractions allowed, within a sane range.
    private func numericDate(_ name: String, in claims: JWTClaims) throws(JWTError) -> Double? {
        guard let value = claims[name] else { return nil }
        guard let seconds = value.doubleValue, seconds >= 0, seconds <= Self.latestNumericDate else {
            throw JWTError(.invalidClaim, name: name)
        }
        return seconds
    }

    /// `aud` as a list: a string is a list of one (RFC 7519 §4.1.3); any non-string element is an error.
    private func audienceValues(in claims: JWTClaims) throws(JWTError) -> [String]? {
        switch claims["aud"] {
        case nil: return nil
        case .string(let audience): return [audience]
        case .array(let elements):
            var audiences: [String] = []
            for element in elements {
                guard case .string(let audience) = element else { throw JWTError(.invalidClaim, name: "aud") }
                audiences.append(audience)
            }
            return audiences
        default: throw JWTError(.invalidClaim, name: "aud")
        }
    }

    /// Refuses tokens whose own claims say they are not access tokens: AWS Cognito's `token_use` (`id`) and
    /// Keycloak's `typ` claim (`ID`, `Refresh`). Tokens without these claims pass.
    private func checkTokenUse(_ claims: JWTClaims) throws(JWTError) {
        if let tokenUse = claims["token_use"], tokenUse.stringValue != "access" {
            throw JWTError(.wrongTokenUse, name: "token_use")
        }
        if let type = claims["typ"], type.stringValue?.lowercased() != "bearer" {
            throw JWTError(.wrongTokenUse, name: "typ")
        }
    }
}
