import Runtime

/// Tokens that passed ``JWTVerifier/verify(_:)`` recently, with their claims and the time window in which they stay
/// valid, so that a page polling with the same token every few seconds is not verified from scratch each time
/// (base64url decoding, the header rules, the signature and the claims' JSON).
///
/// A hit still checks the time: a token is answered from here only while `nbf`/`iat` and `exp` (with the leeway)
/// accept the current time, exactly as a full verification would; outside that window it is verified again, which
/// throws the precise error. Only whole tokens that verified are kept, looked up by their full text (Swift's hashing
/// is seeded per process), so nothing here helps guess a token or a signature. At most `capacity` tokens are kept;
/// when full, the cache starts over.
public final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        let claims: JWTClaims
        /// The earliest time (seconds since the epoch) at which the claims are valid, leeway included.
        let validFrom: Double
        /// The time from which `exp` (plus the leeway) refuses the token.
        let validUntil: Double
    }

    private let capacity: Int
    private let entries = ConditionLock<[String: Entry]>([:])

    /// A cache of at most `capacity` tokens.
    public init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// How many tokens are kept now.
    public var count: Int { entries.withLock { $0.count } }

    func claims(for token: String, at now: Double) -> JWTClaims? {
        guard let entry = entries.withLock({ $0[token] }) else { return nil }
        guard entry.validFrom <= now, now < entry.validUntil else {
            entries.withLock { _ = $0.removeValue(forKey: token) }
            return nil
        }
        return entry.claims
    }

    func store(_ token: String, _ entry: Entry) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = entry
        }
    }
}
