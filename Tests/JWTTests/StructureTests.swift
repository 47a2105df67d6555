import JWT
import Testing

/// Compact serialization: segments, size and encoding (security cases A8, A15, A17; Wycheproof tc 1–17, 360–375).
@Suite("Token structure")
struct StructureTests {
    let verifier = Fixtures.verifier()

    @Test func acceptsAWellFormedToken() throws {
        let claims = try verifier.verify(Fixtures.token())
        #expect(claims.string("tenantId") == "t1")
        #expect(claims.subject == "user-1")
    }

    @Test func refusesWrongSegmentCounts() {
        let token = Fixtures.token()
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for malformed in [
            "", ".", "...", parts[0], "\(parts[0]).\(parts[1])", "\(token).", "\(token).\(parts[2])",
            "\(parts[0])..\(parts[1]).\(parts[2])", ".\(token)",
        ] {
            #expect(throws: JWTError(.malformed)) { try verifier.verify(malformed) }
        }
    }

    @Test func refusesEmptySegments() {
        let parts = Fixtures.token().split(separator: ".").map(String.init)
        #expect(throws: JWTError.self) { try verifier.verify("\(parts[0]).\(parts[1]).") }
        #expect(throws: JWTError.self) { try verifier.verify(".\(parts[1]).\(parts[2])") }
        #expect(throws: JWTError.self) { try verifier.verify("\(parts[0])..\(parts[2])") }
    }

    @Test func refusesAnEmptySignatureAsABadSignature() {
        let parts = Fixtures.token().split(separator: ".").map(String.init)
        #expect(throws: JWTError(.invalidSignature)) { try verifier.verify("\(parts[0]).\(parts[1]).") }
    }

    @Test func refusesATokenOverTheSizeLimitEvenWhenValidlySigned() throws {
        let padding = String(repeating: "x", count: 3000)
        let large = Fixtures.token(payload: Fixtures.claims(#""pad":"\#(padding)""#))
        #expect(large.utf8.count > 4096)
        #expect(throws: JWTError(.tooLarge)) { try verifier.verify(large) }
        let fits = Fixtures.token(payload: Fixtures.claims(#""pad":"\#(padding.prefix(2500))""#))
        #expect(fits.utf8.count < 4096)
        #expect(try verifier.verify(fits).string("tenantId") == "t1")
    }

    /// Each variant is MAC'd over its own (non-canonical) text, so only the encoding rule can refuse it.
    @Test func refusesNonCanonicalBase64URLEvenWhenTheMACMatches() throws {
        let header = TokenFactory.encode(#"{"alg":"HS256","typ":"JWT"}"#)
        let payload = TokenFactory.encode(Fixtures.claims(#""x":"??>>~~""#))
        try #require(payload.contains("-") && payload.contains("_"))
        let standardAlphabet = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let variants = [
            (header + "=", payload), (header, payload + "=="), (header, " " + payload), (header, payload + "\n"),
            (header, standardAlphabet), (header, payload + "_"),
        ]
        for (encodedHeader, encodedPayload) in variants {
            let token = TokenFactory.token(encodedHeader: encodedHeader, encodedPayload: encodedPayload)
            #expect(throws: JWTError.self) { try verifier.verify(token) }
        }
        // Unused bits set: "AB" is the non-canonical spelling of the byte 0 ("AA"); Wycheproof tc 375.
        let unusedBits = TokenFactory.token(encodedHeader: header, encodedPayload: "AB")
        #expect(throws: JWTError(.invalidEncoding)) { try verifier.verify(unusedBits) }
        let padded = TokenFactory.token(encodedHeader: header, encodedPayload: payload) + "="
        #expect(throws: JWTError(.invalidEncoding)) { try verifier.verify(padded) }
    }

    @Test func refusesCharactersOutsideTheAlphabet() {
        let token = Fixtures.token()
        for character in ["+", "/", "=", " ", "?", "%", "\u{0}", "é"] {
            var broken = token
            broken.insert(contentsOf: character, at: broken.index(broken.startIndex, offsetBy: 5))
            #expect(throws: JWTError.self) { try verifier.verify(broken) }
        }
    }
}
