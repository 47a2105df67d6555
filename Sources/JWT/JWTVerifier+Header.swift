import JSON

extension JWTVerifier {
    /// Header parameters that make a token unacceptable, whatever their value.
    ///
    /// - `jku`, `x5u`: a URL to fetch the key from — the token would choose its own key, and the fetch is a
    ///   server-side request forgery;
    /// - `jwk`, `x5c`: the key itself, embedded (Wycheproof tc 32);
    /// - `crit`: extensions that must be understood; this verifier understands none, so RFC 7515 §4.1.11 requires
    ///   refusal — even of an empty list, which the RFC forbids outright;
    /// - `b64`: RFC 7797 changes what the signature covers.
    ///
    /// `kid` is allowed and ignored: with exactly one configured key it selects nothing, and it never reaches a
    /// file system, a database or a log.
    public static let forbiddenHeaderParameters: Set<String> = ["jku", "x5u", "jwk", "x5c", "crit", "b64"]

    /// The accepted `typ` values, compared without regard to case and with the optional `application/` prefix
    /// removed (RFC 7515 §4.1.9): a plain JWT (RFC 7519 §5.1) or a JWT access token (RFC 9068 §2.1).
    ///
    /// Anything else (`JOSE`, `secevent+jwt`, `dpop+jwt`, `logout+jwt`, ...) is a token made for another purpose.
    /// An absent `typ` is accepted: most issuers of access tokens omit it.
    public static let acceptedTypes: Set<String> = ["jwt", "at+jwt"]

    /// Decodes and checks the protected header.
    func checkedHeader(_ bytes: [UInt8]) throws(JWTError) -> JSONValue {
        let header: JSONValue
        do {
            header = try parser.parse(bytes)
        } catch {
            throw JWTError(.invalidHeader)
        }
        guard let members = header.objectMembers else { throw JWTError(.invalidHeader) }
        try checkAlgorithm(header["alg"])
        if let forbidden = members.first(where: { Self.forbiddenHeaderParameters.contains($0.0) }) {
            throw JWTError(.forbiddenHeaderParameter, name: forbidden.0)
        }
        try checkType(header["typ"])
        return header
    }

    /// `alg` must be the configured algorithm, spelled exactly (RFC 7515 §4.1.1: case-sensitive).
    private func checkAlgorithm(_ value: JSONValue?) throws(JWTError) {
        guard case .string(let algorithm) = value else { throw JWTError(.algorithmNotAllowed, name: "alg") }
        if algorithm.lowercased() == "none" { throw JWTError(.algorithmNone, name: "alg") }
        guard algorithm == key.algorithm.rawValue else { throw JWTError(.algorithmNotAllowed, name: "alg") }
    }

    private func checkType(_ value: JSONValue?) throws(JWTError) {
        guard let value else { return }
        guard case .string(let type) = value else { throw JWTError(.wrongType, name: "typ") }
        var mediaType = type.lowercased()
        if mediaType.hasPrefix("application/") { mediaType.removeFirst("application/".count) }
        guard Self.acceptedTypes.contains(mediaType) else { throw JWTError(.wrongType, name: "typ") }
    }
}
