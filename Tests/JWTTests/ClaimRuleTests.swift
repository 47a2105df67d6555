import JWT
import Testing

/// Claims: required `exp`, time windows with 60 s of leeway, types, issuer, audience, token use
/// (security cases A7, A9–A11, A16, A18, A19).
@Suite("Claim rules")
struct ClaimRuleTests {
    let verifier = Fixtures.verifier()
    let now = Fixtures.now

    private func verify(_ payload: String, options: JWTValidationOptions = JWTValidationOptions()) throws -> JWTClaims {
        try Fixtures.verifier(options: options).verify(Fixtures.token(payload: payload))
    }

    @Test func requiresExp() {
        #expect(throws: JWTError(.missingClaim, name: "exp")) { try verify(#"{"tenantId":"t1"}"#) }
    }

    @Test(arguments: [
        #""1700000600""#, "1e20", "-1", "true", "null", "[1700000600]", "99999999999999999999", "253402300800",
    ])
    func refusesAnExpOfTheWrongTypeOrRange(exp: String) {
        #expect(throws: JWTError(.invalidClaim, name: "exp")) { try verify(Fixtures.claims(exp: exp)) }
    }

    @Test func expiresOnlyAfterTheLeeway() throws {
        #expect(try verify(Fixtures.claims(exp: "\(now - 30)")).string("tenantId") == "t1")
        #expect(try verify(Fixtures.claims(exp: "\(now - 59)")).string("tenantId") == "t1")
        #expect(throws: JWTError(.expired, name: "exp")) { try verify(Fixtures.claims(exp: "\(now - 60)")) }
        #expect(throws: JWTError(.expired, name: "exp")) { try verify(Fixtures.claims(exp: "\(now - 61)")) }
        #expect(try verify(Fixtures.claims(exp: "\(now - 59).5")).string("tenantId") == "t1")
    }

    @Test func honoursNotBeforeWithTheLeeway() throws {
        #expect(try verify(Fixtures.claims(#""nbf":\#(now + 60)"#)).string("tenantId") == "t1")
        #expect(throws: JWTError(.notYetValid, name: "nbf")) { try verify(Fixtures.claims(#""nbf":\#(now + 61)"#)) }
        #expect(throws: JWTError(.invalidClaim, name: "nbf")) { try verify(Fixtures.claims(#""nbf":"soon""#)) }
    }

    @Test func refusesATokenIssuedInTheFuture() throws {
        let payload = #"{"tenantId":"t1","exp":\#(now + 600),"iat":\#(now + 61)}"#
        #expect(throws: JWTError(.issuedInTheFuture, name: "iat")) { try verify(payload) }
        #expect(try verify(#"{"tenantId":"t1","exp":\#(now + 600),"iat":\#(now + 60)}"#).string("tenantId") == "t1")
        #expect(throws: JWTError(.invalidClaim, name: "iat")) { try verify(#"{"exp":\#(now + 600),"iat":{}}"#) }
    }

    @Test func checksTheIssuerWhenConfigured() throws {
        let options = JWTValidationOptions(issuer: "https://auth.example")
        #expect(
            try verify(Fixtures.claims(#""iss":"https://auth.example""#), options: options).string("tenantId") == "t1")
        #expect(throws: JWTError(.wrongIssuer, name: "iss")) { try verify(Fixtures.claims(), options: options) }
        #expect(throws: JWTError(.wrongIssuer, name: "iss")) {
            try verify(Fixtures.claims(#""iss":"https://auth.example/""#), options: options)
        }
        #expect(throws: JWTError(.invalidClaim, name: "iss")) {
            try verify(Fixtures.claims(#""iss":1"#), options: options)
        }
    }

    @Test func acceptsAnyStringIssuerWhenNoneIsConfigured() throws {
        #expect(try verify(Fixtures.claims(#""iss":"anyone""#)).string("iss") == "anyone")
        #expect(throws: JWTError(.invalidClaim, name: "iss")) { try verify(Fixtures.claims(#""iss":["a"]"#)) }
    }

    @Test func checksTheAudienceAsStringOrArray() throws {
        let options = JWTValidationOptions(audience: "tenant-whatsapp")
        for accepted in [#""tenant-whatsapp""#, #"["other","tenant-whatsapp"]"#, #"["tenant-whatsapp"]"#] {
            #expect(try verify(Fixtures.claims(#""aud":\#(accepted)"#), options: options).string("tenantId") == "t1")
        }
        for foreign in [#""other""#, #"["other"]"#, "[]", #""Tenant-WhatsApp""#] {
            #expect(throws: JWTError(.wrongAudience, name: "aud")) {
                try verify(Fixtures.claims(#""aud":\#(foreign)"#), options: options)
            }
        }
        #expect(throws: JWTError(.wrongAudience, name: "aud")) { try verify(Fixtures.claims(), options: options) }
        for wrongType in ["1", #"["tenant-whatsapp",1]"#, #"{"aud":"tenant-whatsapp"}"#, "null"] {
            #expect(throws: JWTError(.invalidClaim, name: "aud")) {
                try verify(Fixtures.claims(#""aud":\#(wrongType)"#), options: options)
            }
        }
    }

    @Test func refusesDuplicateClaims() {
        #expect(throws: JWTError(.invalidClaims)) { try verify(Fixtures.claims(#""tenantId":"t2""#)) }
        #expect(throws: JWTError(.invalidClaims)) { try verify(Fixtures.claims(#""exp":1"#)) }
    }

    @Test(arguments: ["[]", #""claims""#, "42", "null", "", "{", "{\"exp\":1}\u{0}", "{\"tenantId\":\"t\u{0}1\"}"])
    func refusesPayloadsThatAreNotAJSONObject(payload: String) {
        #expect(throws: JWTError(.invalidClaims)) { try verify(payload) }
    }

    @Test func refusesAPayloadThatIsNotUTF8() {
        var payload = Array(Fixtures.claims(#""name":"ab""#).utf8)
        payload[payload.count - 3] = 0xC3
        let token = TokenFactory.token(
            encodedHeader: TokenFactory.encode(#"{"alg":"HS256"}"#), encodedPayload: TokenFactory.encode(payload))
        #expect(throws: JWTError(.invalidClaims)) { try verifier.verify(token) }
    }

    @Test func refusesDeepNestingWithoutCrashing() {
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        #expect(throws: JWTError(.invalidClaims)) { try verify(Fixtures.claims(#""x":\#(deep)"#)) }
    }

    @Test(arguments: [#""token_use":"id""#, #""token_use":1"#, #""typ":"Refresh""#, #""typ":"ID""#, #""typ":1"#])
    func refusesIDAndRefreshTokens(claim: String) {
        let name = claim.hasPrefix(#""typ""#) ? "typ" : "token_use"
        #expect(throws: JWTError(.wrongTokenUse, name: name)) { try verify(Fixtures.claims(claim)) }
    }

    @Test(arguments: [#""token_use":"access""#, #""typ":"Bearer""#, #""typ":"bearer""#])
    func acceptsClaimsThatMarkAnAccessToken(claim: String) throws {
        #expect(try verify(Fixtures.claims(claim)).string("tenantId") == "t1")
    }

    @Test func reportsExpiryOnlyForAnOtherwiseValidToken() {
        let options = JWTValidationOptions(issuer: "https://auth.example")
        let expired = Fixtures.claims(exp: "\(now - 3600)")
        #expect(throws: JWTError(.wrongIssuer, name: "iss")) { try verify(expired, options: options) }
        let forged = TokenFactory.token(
            header: #"{"alg":"HS256"}"#, payload: expired, secret: Array(repeating: 7, count: 32))
        #expect(throws: JWTError(.invalidSignature)) { try verifier.verify(forged) }
    }

    @Test func refusesATamperedTenantClaim() {
        let parts = Fixtures.token().split(separator: ".").map(String.init)
        let tampered = TokenFactory.encode(Fixtures.claims().replacingOccurrences(of: #""t1""#, with: #""t2""#))
        #expect(throws: JWTError(.invalidSignature)) { try verifier.verify("\(parts[0]).\(tampered).\(parts[2])") }
    }

    @Test func keepsClaimsInTheirOrder() throws {
        let claims = try verify(Fixtures.claims(#""z":1,"a":{"nested":[true]}"#))
        #expect(claims.members.map(\.0) == ["sub", "tenantId", "iat", "exp", "z", "a"])
        #expect(claims["a"] == ["nested": [true]])
    }
}
