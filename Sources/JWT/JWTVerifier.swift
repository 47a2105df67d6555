import JSON

/// Verifies compact JWTs (RFC 7519) against one configured key and algorithm, following RFC 8725.
///
/// The steps, each refusing with a ``JWTError``:
/// 1. size: at most ``JWTValidationOptions/maximumTokenLength`` bytes, before any decoding;
/// 2. structure: exactly three segments, each canonical base64url without padding or whitespace;
/// 3. header: a JSON object without duplicate keys whose `alg` is exactly the configured algorithm, without the
///    parameters that would let the token choose its own key or change the rules (see ``forbiddenHeaderParameters``),
///    and with an acceptable `typ`;
/// 4. signature: checked with OpenSSL, the MAC compared in constant time;
/// 5. claims (``verify(_:)`` only): see ``validateClaims(_:)``.
///
/// A value type holding only immutable, thread-safe parts: one verifier serves every worker thread.
public struct JWTVerifier: Sendable {
    /// The key, which also fixes the one accepted algorithm.
    public let key: JWTVerificationKey
    /// Issuer, audience, leeway and size rules.
    public let options: JWTValidationOptions
    /// Where the current time comes from.
    public let clock: JWTClock
    /// The tokens this verifier accepted recently, when it remembers them (see ``VerifiedTokenCache``). The cache
    /// belongs to this verifier: its key and options decided what is in it.
    public let verifiedTokens: VerifiedTokenCache?

    /// Limits nesting in header and claims well below anything that could exhaust a worker thread's stack.
    /// Computed, because `JSONParser` is not `Sendable`; making one costs nothing.
    var parser: JSONParser { JSONParser(maximumDepth: 32, allowsDuplicateKeys: false) }

    /// A verifier for `key` with `options`, reading the time from `clock`.
    public init(
        key: JWTVerificationKey, options: JWTValidationOptions = JWTValidationOptions(), clock: JWTClock = .system,
        verifiedTokens: VerifiedTokenCache? = nil
    ) {
        self.key = key
        self.options = options
        self.clock = clock
        self.verifiedTokens = verifiedTokens
    }

    /// Verifies `token` completely: structure, header, signature and claims.
    ///
    /// Throws ``JWTError`` with ``JWTError/Reason/expired`` only when the token is otherwise valid.
    ///
    /// With ``verifiedTokens``, a token this verifier accepted earlier is answered from there while its dates still
    /// accept the current time.
    public func verify(_ token: String) throws(JWTError) -> JWTClaims {
        guard let verifiedTokens else { return try verifyFully(token) }
        return try verify(token, remembering: verifiedTokens)
    }

    func verifyFully(_ token: String) throws(JWTError) -> JWTClaims {
        let jws = try verifySignature(token)
        return try validateClaims(jws.payload)
    }

    /// Verifies structure, header and signature only, for payloads that are not JWT claims (JWS test vectors).
    public func verifySignature(_ token: String) throws(JWTError) -> VerifiedJWS {
        guard token.utf8.count <= options.maximumTokenLength else { throw JWTError(.tooLarge) }
        let bytes = Array(token.utf8)
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else { throw JWTError(.malformed) }
        let (firstDot, secondDot) = (dots[0], dots[1])

        guard let headerBytes = Base64URL.decode(bytes[..<firstDot]),
            let payload = Base64URL.decode(bytes[(firstDot + 1)..<secondDot]),
            let signature = Base64URL.decode(bytes[(secondDot + 1)...])
        else { throw JWTError(.invalidEncoding) }

        let header = try checkedHeader(headerBytes)
        guard key.isValidSignature(signature, of: bytes[..<secondDot]) else { throw JWTError(.invalidSignature) }
        return VerifiedJWS(header: header, payload: payload)
    }
}
