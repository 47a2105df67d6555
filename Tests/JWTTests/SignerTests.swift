import JSON
import JWT
import TestTokenMinting
import Testing

/// `JWTSigner.hs256`: the tokens it mints are the bytes an independent minter makes, and the project's own
/// `JWTVerifier` accepts them (and only with the right secret).
@Suite("HS256 signer")
struct SignerTests {
    static let secret = Array("a webhook jwt_key of at least 32 bytes, as the verifier needs".utf8)
    static let now = 1_700_000_000
    static let claims: JSONValue = [
        "iat": .integer(now), "exp": .integer(now + 600), "app": "evolution", "action": "webhook",
    ]

    private static func verifier(secret: [UInt8] = secret) throws -> JWTVerifier {
        JWTVerifier(key: try JWTVerificationKey(hmacSecret: secret), clock: .fixed(at: now + 10))
    }

    @Test func aSignedTokenVerifiesWithTheProjectsOwnVerifier() throws {
        let token = try JWTSigner.hs256(claims: Self.claims, secret: Self.secret)
        let verified = try Self.verifier().verify(token)
        #expect(verified.string("app") == "evolution")
        #expect(verified.string("action") == "webhook")
        #expect(verified["iat"] == .integer(Self.now))
        #expect(verified["exp"] == .integer(Self.now + 600))
        #expect(verified.members.map(\.0) == ["iat", "exp", "app", "action"])
    }

    @Test func theTokenIsByteForByteWhatAnIndependentMinterMakes() throws {
        let token = try JWTSigner.hs256(claims: Self.claims, secret: Self.secret)
        let expected = TokenMinter.token(
            header: #"{"alg":"HS256","typ":"JWT"}"#,
            payload: #"{"iat":1700000000,"exp":1700000600,"app":"evolution","action":"webhook"}"#,
            secret: Self.secret)
        #expect(token == expected)
    }

    @Test func theSegmentsAreBase64URLWithoutPadding() throws {
        // Standard base64 of this payload holds both `/` and `+`.
        let token = try JWTSigner.hs256(claims: ["sub": "???~~~ü"], secret: Self.secret)
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        #expect(segments.count == 3)
        #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
        #expect(segments[1] == "eyJzdWIiOiI_Pz9-fn7DvCJ9")
        #expect(TokenMinter.decode(String(segments[0])) == Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        #expect(TokenMinter.decode(String(segments[1])) == Array(#"{"sub":"???~~~ü"}"#.utf8))
        #expect(TokenMinter.decode(String(segments[2]))?.count == 32)
    }

    @Test func everyLengthOfClaimsEncodesCanonically() throws {
        // Payloads of 8 to 39 bytes: every length modulo 3 (a last group of 1, 2 or 3 bytes), many times over.
        for length in 0..<32 {
            let claims: JSONValue = ["x": .string(String(repeating: "a", count: length))]
            let token = try JWTSigner.hs256(claims: claims, secret: Self.secret)
            let payload = String(token.split(separator: ".")[1])
            #expect(payload == TokenMinter.encode(claims.serializedString()), "length \(length)")
        }
    }

    @Test func anotherSecretDoesNotVerify() throws {
        let token = try JWTSigner.hs256(claims: Self.claims, secret: Self.secret)
        let other = Array("another secret, also long enough for HS256".utf8)
        #expect(throws: JWTError(.invalidSignature)) { try Self.verifier(secret: other).verify(token) }
    }

    @Test func aShortSecretStillSignsAsEvolutionDoes() throws {
        let token = try JWTSigner.hs256(claims: Self.claims, secret: Array("s".utf8))
        let expected = TokenMinter.token(payload: Self.claims.serializedString(), secret: Array("s".utf8))
        #expect(token == expected)
    }

    @Test func anEmptySecretOrClaimsThatAreNoObjectAreRefused() {
        #expect(throws: JWTSigningError(.emptySecret)) { try JWTSigner.hs256(claims: Self.claims, secret: []) }
        #expect(throws: JWTSigningError(.claimsNotAnObject)) {
            try JWTSigner.hs256(claims: ["not", "an", "object"], secret: Self.secret)
        }
        #expect(JWTSigningError(.emptySecret).description == "cannot sign JWT: the secret is empty")
    }
}
