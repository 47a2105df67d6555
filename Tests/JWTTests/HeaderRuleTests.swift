import JWT
import TestTokenMinting
import Testing

/// The protected header: algorithm, forbidden parameters, `typ`, `kid`, and its JSON (security cases A3–A6,
/// A12–A14, A16, A18, A19).
@Suite("Header rules")
struct HeaderRuleTests {
    let verifier = Fixtures.verifier()

    @Test(arguments: ["none", "None", "NONE", "nOnE"])
    func refusesAlgorithmNoneWithOrWithoutASignature(spelling: String) {
        let unsigned = TokenFactory.encode(#"{"alg":"\#(spelling)"}"#) + "." + TokenFactory.encode(Fixtures.claims())
        #expect(throws: JWTError(.algorithmNone, name: "alg")) { try verifier.verify(unsigned + ".") }
        let signed = TokenFactory.token(header: #"{"alg":"\#(spelling)"}"#, payload: Fixtures.claims())
        #expect(throws: JWTError(.algorithmNone, name: "alg")) { try verifier.verify(signed) }
    }

    @Test(arguments: [("HS384", TokenMinter.Digest.sha384), ("HS512", .sha512)])
    func refusesOtherHMACAlgorithmsEvenWhenCorrectlySigned(algorithm: String, digest: TokenMinter.Digest) {
        let token = TokenFactory.token(header: #"{"alg":"\#(algorithm)"}"#, payload: Fixtures.claims(), digest: digest)
        #expect(throws: JWTError(.algorithmNotAllowed, name: "alg")) { try verifier.verify(token) }
    }

    @Test(arguments: [
        #"{"typ":"JWT"}"#, #"{"alg":null}"#, #"{"alg":256}"#, #"{"alg":["HS256"]}"#, #"{"alg":"hs256"}"#,
        #"{"alg":"HS256 "}"#, #"{"alg":"RS256"}"#, #"{"alg":"ES256"}"#, #"{"alg":"PS256"}"#, #"{"alg":"EdDSA"}"#,
    ])
    func refusesAMissingOrForeignAlgorithm(header: String) {
        #expect(throws: JWTError(.algorithmNotAllowed, name: "alg")) {
            try verifier.verify(Fixtures.token(header: header))
        }
    }

    @Test(arguments: [
        ("jku", #""http://127.0.0.1:9/keys""#), ("x5u", #""http://127.0.0.1:9/cert""#),
        ("jwk", #"{"kty":"oct","k":"AAAA"}"#), ("x5c", #"["MIIB"]"#), ("crit", #"["exp"]"#), ("crit", "[]"),
        ("b64", "false"),
    ])
    func refusesHeaderParametersThatChooseTheKeyOrTheRules(name: String, value: String) {
        let token = Fixtures.token(header: #"{"alg":"HS256","\#(name)":\#(value)}"#)
        #expect(throws: JWTError(.forbiddenHeaderParameter, name: name)) { try verifier.verify(token) }
    }

    /// `kid` selects nothing: whatever it says, the configured key decides.
    @Test(arguments: ["../../dev/null", "' OR '1'='1", "/etc/passwd", "unknown", String(repeating: "k", count: 2000)])
    func ignoresHostileKeyIDs(kid: String) throws {
        let header = #"{"alg":"HS256","kid":"\#(kid)"}"#
        #expect(try verifier.verify(Fixtures.token(header: header)).string("tenantId") == "t1")
        // The classic attack: sign with the empty "key" that /dev/null would have given.
        let forged = TokenFactory.token(header: header, payload: Fixtures.claims(), secret: [])
        #expect(throws: JWTError(.invalidSignature)) { try verifier.verify(forged) }
    }

    @Test(arguments: [nil, "JWT", "jwt", "application/jwt", "Application/JWT", "at+jwt", "application/at+jwt"])
    func acceptsJWTAndAccessTokenTypes(type: String?) throws {
        let header = type.map { #"{"alg":"HS256","typ":"\#($0)"}"# } ?? #"{"alg":"HS256"}"#
        #expect(try verifier.verify(Fixtures.token(header: header)).string("tenantId") == "t1")
    }

    @Test(arguments: [
        #""JOSE""#, #""JOSE+JSON""#, #""secevent+jwt""#, #""dpop+jwt""#, #""refresh+jwt""#, #""id+jwt""#, #""""#,
        "42", "null", #"["JWT"]"#,
    ])
    func refusesOtherTypes(type: String) {
        let token = Fixtures.token(header: #"{"alg":"HS256","typ":\#(type)}"#)
        #expect(throws: JWTError(.wrongType, name: "typ")) { try verifier.verify(token) }
    }

    @Test(arguments: [
        #"{"alg":"HS256","alg":"HS256"}"#, #"{"alg":"none","alg":"HS256"}"#,
        #"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
    ])
    func refusesDuplicateHeaderKeys(header: String) {
        #expect(throws: JWTError(.invalidHeader)) { try verifier.verify(Fixtures.token(header: header)) }
    }

    @Test(arguments: [#""HS256""#, "[]", "42", "null", "", #"{"alg":"HS256""#, "{\"alg\":\"HS256\"}\u{0}", "{\u{0}}"])
    func refusesHeadersThatAreNotAJSONObject(header: String) {
        #expect(throws: JWTError(.invalidHeader)) { try verifier.verify(Fixtures.token(header: header)) }
    }

    @Test func refusesAHeaderThatIsNotUTF8() {
        var header = Array(#"{"alg":"HS256","kid":"x"}"#.utf8)
        header[header.count - 3] = 0xFF
        let token = TokenFactory.token(
            encodedHeader: TokenFactory.encode(header), encodedPayload: TokenFactory.encode(Fixtures.claims()))
        #expect(throws: JWTError(.invalidHeader)) { try verifier.verify(token) }
    }

    @Test func refusesDeepNestingWithoutCrashing() {
        let depth = 1200
        let header =
            #"{"alg":"HS256","x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        #expect(throws: JWTError(.invalidHeader)) { try verifier.verify(Fixtures.token(header: header)) }
    }

    @Test func refusesATokenSignedForAnotherAlgorithmWithTheSameBytes() {
        // An RS256-looking token whose "signature" is an HMAC: the header alone refuses it.
        let token = TokenFactory.token(header: #"{"alg":"RS256"}"#, payload: Fixtures.claims())
        #expect(throws: JWTError(.algorithmNotAllowed, name: "alg")) { try verifier.verify(token) }
    }
}
