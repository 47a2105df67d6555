import Foundation
import Testing

/// Bad tokens (A1–A19) and tenant authorization (B21–B22), as docs/api.md ("Authentication") states the rules, through
/// the real nginx and the responder under spawn-fcgi, configured for HS256 with an issuer and an audience.
///
/// A request that passes authentication and authorization reaches the route's handler, which looks the tenant up:
/// tenant `t1` does not exist in this suite's database, so 404 `tenant_not_found` means "accepted". The requests never
/// reach Evolution (the responder points at a closed port, see ``TestResponder``).
@Suite("JWT through nginx", .serialized)
final class JWTThroughNginxTests {
    static let invalidChallenge = #"Bearer error="invalid_token""#
    static let expiredChallenge = #"Bearer error="invalid_token", error_description="The access token expired""#

    private let stack: TestStack

    init() throws {
        let database = try TestPostgres.shared.createDatabase("jwt_\(UInt32.random(in: 0...UInt32.max))")
        stack = try TestStack.start(
            databaseURL: database, threads: 2,
            environment: [
                "JWT_SECRET": TestTokens.secret, "JWT_ISSUER": TestTokens.issuer, "JWT_AUDIENCE": TestTokens.audience,
            ],
            nginxEnvironment: ["TW_NGINX_RATE": "1000r/s"])
    }

    deinit {
        stack.stop()
    }

    private func send(
        authorization: [String], method: String = "GET", path: String = "/api/tenants/t1/whatsapp/status"
    ) throws -> TestHTTPResponse {
        try stack.send(method, path, headers: authorization.map { ("Authorization", $0) })
    }

    /// Sends `Bearer <token>` and expects 401 `code` with the matching `WWW-Authenticate`.
    private func expectUnauthorized(
        _ token: String, code: String = "invalid_token", _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let response = try send(authorization: ["Bearer \(token)"])
        expect(response, status: 401, code: code, comment, sourceLocation: sourceLocation)
        let challenge = code == "token_expired" ? Self.expiredChallenge : Self.invalidChallenge
        #expect(response.headers["www-authenticate"] == challenge, comment, sourceLocation: sourceLocation)
    }

    /// Sends `Bearer <token>` and expects it to pass authentication and authorization (to the tenant lookup).
    private func expectAccepted(
        _ token: String, scheme: String = "Bearer", _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let response = try send(authorization: ["\(scheme) \(token)"])
        expect(response, status: 404, code: "tenant_not_found", comment, sourceLocation: sourceLocation)
        #expect(response.headers["www-authenticate"] == nil, comment, sourceLocation: sourceLocation)
    }

    private func expect(
        _ response: TestHTTPResponse, status: Int, code: String, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, comment, sourceLocation: sourceLocation)
        #expect(
            response.headers["content-type"] == "application/json; charset=utf-8", comment,
            sourceLocation: sourceLocation)
        let body = try? response.jsonObject()
        #expect(body?["error"] as? String == code, comment, sourceLocation: sourceLocation)
        #expect(
            body?["requestId"] as? String == response.headers["x-request-id"], comment, sourceLocation: sourceLocation)
    }

    @Test func a01NoAuthorizationHeaderIsMissingToken() throws {
        let response = try send(authorization: [])
        expect(response, status: 401, code: "missing_token")
        #expect(response.headers["www-authenticate"] == "Bearer")
    }

    @Test func a02OtherSchemesAreRefusedAndTheBearerSchemeIsCaseInsensitive() throws {
        for authorization in ["Basic dXNlcjpwYXNz", "Token \(TestTokens.token())"] {
            let response = try send(authorization: [authorization])
            expect(response, status: 401, code: "missing_token", "\(authorization.prefix(5))")
            #expect(response.headers["www-authenticate"] == "Bearer")
        }
        for scheme in ["bearer", "BEARER", "Bearer"] {
            try expectAccepted(TestTokens.token(), scheme: scheme, "\(scheme)")
        }
    }

    @Test func a03AndA04AlgorithmNoneIsRefusedInAnySpellingWithOrWithoutASignature() throws {
        for spelling in ["none", "None", "NONE", "nOnE"] {
            let header = TestTokens.encode(#"{"alg":"\#(spelling)","typ":"JWT"}"#)
            let unsigned = "\(header).\(TestTokens.encode(TestTokens.claims()))."
            try expectUnauthorized(unsigned, "\(spelling), empty signature")
            try expectUnauthorized(unsigned + "c2lnbmF0dXJl", "\(spelling), signature appended")
            let signed = TestTokens.token(header: #"{"alg":"\#(spelling)"}"#)
            try expectUnauthorized(signed, "\(spelling), HMAC appended")
        }
    }

    @Test func a05PublicKeyAlgorithmsAreRefusedByAnHS256Deployment() throws {
        let signature = TestTokens.encode((0..<256).map { _ in UInt8.random(in: 0...255) })
        for algorithm in ["RS256", "ES256", "PS256"] {
            let token =
                TestTokens.encode(#"{"alg":"\#(algorithm)"}"#) + "."
                + TestTokens.encode(TestTokens.claims()) + "." + signature
            try expectUnauthorized(token, "\(algorithm)")
            try expectUnauthorized(TestTokens.token(header: #"{"alg":"\#(algorithm)"}"#), "\(algorithm) with an HMAC")
        }
    }

    @Test func a06OtherHMACAlgorithmsAreRefusedEvenWhenCorrectlySigned() throws {
        try expectUnauthorized(TestTokens.token(header: #"{"alg":"HS384"}"#, digest: .sha384), "HS384")
        try expectUnauthorized(TestTokens.token(header: #"{"alg":"HS512"}"#, digest: .sha512), "HS512")
    }

    @Test func a07ATamperedTenantClaimIsRefused() throws {
        let parts = TestTokens.token().split(separator: ".").map(String.init)
        let tampered = TestTokens.encode(TestTokens.claims(tenantID: "t2"))
        let response = try send(
            authorization: ["Bearer \(parts[0]).\(tampered).\(parts[2])"], path: "/api/tenants/t2/whatsapp/status")
        expect(response, status: 401, code: "invalid_token")
    }

    @Test func a08MalformedStructuresAreRefused() throws {
        let token = TestTokens.token()
        let parts = token.split(separator: ".").map(String.init)
        for malformed in [
            "\(parts[0]).\(parts[1])", "\(token).\(parts[2])", "\(parts[0]).\(parts[1]).", "\(token).",
            ".\(token)", "\(parts[0])..\(parts[1]).\(parts[2])", ".", "..", "a",
        ] {
            try expectUnauthorized(malformed, "\(malformed.prefix(12))…")
        }
        // An empty token: nginx trims the trailing space, the header is just the scheme.
        let empty = try send(authorization: ["Bearer "])
        expect(empty, status: 401, code: "invalid_token")
    }

    @Test func a09ExpiryIsRequiredTypedAndHasSixtySecondsOfLeeway() throws {
        let now = TestTokens.now
        try expectUnauthorized(
            TestTokens.token(
                payload: #"{"tenantId":"t1","iss":"\#(TestTokens.issuer)","aud":"\#(TestTokens.audience)"}"#), "no exp")
        try expectUnauthorized(TestTokens.token(payload: TestTokens.claims(exp: "\(now - 61)")), code: "token_expired")
        try expectAccepted(TestTokens.token(payload: TestTokens.claims(exp: "\(now - 30)")), "exp 30 s ago")
        for exp in [#""\#(now + 600)""#, "1e20", "-1", "null", "true"] {
            try expectUnauthorized(TestTokens.token(payload: TestTokens.claims(exp: exp)), "exp \(exp)")
        }
        #expect(stack.responder.isRunning)
    }

    @Test func a10NotBeforeAndIssuedAtBeyondTheLeewayAreRefused() throws {
        let later = TestTokens.now + 120
        try expectUnauthorized(TestTokens.token(payload: TestTokens.claims(#""nbf":\#(later)"#)), "nbf")
        try expectUnauthorized(TestTokens.token(payload: TestTokens.claims(iat: "\(later)")), "iat")
        try expectAccepted(TestTokens.token(payload: TestTokens.claims(#""nbf":\#(TestTokens.now + 30)"#)), "nbf +30 s")
    }

    @Test func a11IssuerAndAudienceAreChecked() throws {
        let valid = TestTokens.claims()
        let variants = [
            valid.replacingOccurrences(of: TestTokens.issuer, with: "https://evil.test"),
            valid.replacingOccurrences(of: #""iss":"\#(TestTokens.issuer)","#, with: ""),
            valid.replacingOccurrences(of: #""aud":"\#(TestTokens.audience)","#, with: ""),
            valid.replacingOccurrences(of: #""aud":"\#(TestTokens.audience)""#, with: #""aud":"other-service""#),
            valid.replacingOccurrences(of: #""aud":"\#(TestTokens.audience)""#, with: #""aud":["a","b"]"#),
            valid.replacingOccurrences(of: #""aud":"\#(TestTokens.audience)""#, with: #""aud":[]"#),
        ]
        for payload in variants {
            #expect(payload != valid)
            try expectUnauthorized(TestTokens.token(payload: payload), "\(payload)")
        }
        let inArray = valid.replacingOccurrences(
            of: #""aud":"\#(TestTokens.audience)""#, with: #""aud":["other","\#(TestTokens.audience)"]"#)
        try expectAccepted(TestTokens.token(payload: inArray), "aud as an array")
    }

    @Test func a12CriticalHeaderParametersAreRefused() throws {
        try expectUnauthorized(TestTokens.token(header: #"{"alg":"HS256","crit":["x"],"x":1}"#), "crit [x]")
        try expectUnauthorized(TestTokens.token(header: #"{"alg":"HS256","crit":[]}"#), "crit []")
    }

    @Test func a13HostileKeyIDsLoadNothing() throws {
        let hostile = ["../../dev/null", "' OR '1'='1", "/etc/passwd", "unknown", String(repeating: "k", count: 2000)]
        for kid in hostile {
            let header = #"{"alg":"HS256","kid":"\#(kid)"}"#
            // Signed with what the kid would load if it were followed: the empty /dev/null, an attacker's secret.
            try expectUnauthorized(TestTokens.token(header: header, secret: ""), "kid \(kid.prefix(20)), empty key")
            try expectUnauthorized(TestTokens.token(header: header, secret: "attacker"), "kid \(kid.prefix(20))")
            // With the real key it verifies: the kid was ignored, not used.
            try expectAccepted(TestTokens.token(header: header), "kid \(kid.prefix(20)), real key")
        }
        let huge = TestTokens.token(header: #"{"alg":"HS256","kid":"\#(String(repeating: "k", count: 10_000))"}"#)
        let response = try send(authorization: ["Bearer \(huge)"])
        expect(response, status: 400, code: "bad_request", "10 kB kid: nginx refuses the header line")
    }

    @Test func a14KeyURLsAndEmbeddedKeysAreNeverFollowed() throws {
        let listener = try RedirectTargetListener()
        let url = "http://127.0.0.1:\(listener.port)/keys"
        let headers = [
            #"{"alg":"HS256","jku":"\#(url)"}"#, #"{"alg":"HS256","x5u":"\#(url)"}"#,
            #"{"alg":"HS256","jwk":{"kty":"oct","k":"YXR0YWNrZXI","x5u":"\#(url)"}}"#,
            #"{"alg":"HS256","x5c":["MIIB"],"x5u":"\#(url)"}"#,
        ]
        for header in headers {
            try expectUnauthorized(TestTokens.token(header: header, secret: "attacker"), "\(header), attacker's key")
            try expectUnauthorized(TestTokens.token(header: header), "\(header), real key")
        }
        #expect(listener.pendingConnections() == 0)
    }

    @Test func a15OversizedTokensAreRefusedByTheResponderThenByNginx() throws {
        let over4KiB = TestTokens.token(payload: TestTokens.claims(#""pad":"\#(String(repeating: "x", count: 3200))""#))
        #expect(over4KiB.utf8.count > 4096 && over4KiB.utf8.count < 8000)
        try expectUnauthorized(over4KiB, "over 4 KiB")
        let over8KiB = TestTokens.token(payload: TestTokens.claims(#""pad":"\#(String(repeating: "x", count: 7000))""#))
        let response = try send(authorization: ["Bearer \(over8KiB)"])
        expect(response, status: 400, code: "bad_request", "over 8 KiB: nginx's own 400, as JSON")
    }

    @Test func a16DuplicateKeysAreRefused() throws {
        try expectUnauthorized(TestTokens.token(header: #"{"alg":"HS256","alg":"HS256"}"#), "header")
        try expectUnauthorized(TestTokens.token(header: #"{"alg":"none","alg":"HS256"}"#), "header, none first")
        let duplicateTenant = TestTokens.claims(#""tenantId":"t2""#)
        try expectUnauthorized(TestTokens.token(payload: duplicateTenant), "tenantId twice")
        let duplicateExpiry = TestTokens.claims(#""exp":\#(TestTokens.now + 99_999)"#)
        try expectUnauthorized(TestTokens.token(payload: duplicateExpiry), "exp twice")
    }

    @Test func a17NonCanonicalBase64URLIsRefusedEvenWithAMatchingMAC() throws {
        let header = TestTokens.encode(#"{"alg":"HS256","typ":"JWT"}"#)
        let payload = TestTokens.encode(TestTokens.claims(#""x":"??>>~~""#))
        try #require(payload.contains("-") && payload.contains("_"))
        let standard = payload.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let variants = [(header + "=", payload), (header, payload + "=="), (header, standard)]
        for (encodedHeader, encodedPayload) in variants {
            let token = TestTokens.token(encodedHeader: encodedHeader, encodedPayload: encodedPayload)
            try expectUnauthorized(token, "\(encodedHeader.suffix(3)) \(encodedPayload.suffix(3))")
        }
        try expectUnauthorized(TestTokens.token() + "=", "padded signature")
        try expectUnauthorized(TestTokens.token(encodedHeader: header, encodedPayload: "AB"), "unused bits set")
        let parts = TestTokens.token().split(separator: ".").map(String.init)
        let response = try send(authorization: ["Bearer \(parts[0]).\(parts[1]) .\(parts[2])"])
        expect(response, status: 401, code: "invalid_token", "a space inside the token")
    }

    @Test func a18HostilePayloadsAreRefusedWithoutACrash() throws {
        var notUTF8 = Array(TestTokens.claims(#""name":"ab""#).utf8)
        notUTF8[notUTF8.count - 3] = 0xFF
        let header = TestTokens.encode(#"{"alg":"HS256"}"#)
        try expectUnauthorized(TestTokens.token(encodedHeader: header, encodedPayload: TestTokens.encode(notUTF8)))
        for payload in ["[]", #""t1""#, "42", "null", "{\"tenantId\":\"t1\u{0}\"}", "\u{0}", ""] {
            try expectUnauthorized(TestTokens.token(payload: payload), "payload \(payload.debugDescription)")
        }
        let deep = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        try expectUnauthorized(TestTokens.token(payload: TestTokens.claims(#""x":\#(deep)"#)), "1000 levels")
        let veryDeep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let response = try send(authorization: ["Bearer \(TestTokens.token(payload: veryDeep))"])
        expect(response, status: 400, code: "bad_request", "100k levels: over nginx's header limit")
        #expect(stack.responder.isRunning)
        #expect(try stack.send("GET", "/api/health").status == 200)
    }

    @Test func a19TokensOfOtherTypesAreRefused() throws {
        for type in ["JOSE", "secevent+jwt", "refresh+jwt", "dpop+jwt"] {
            try expectUnauthorized(TestTokens.token(header: #"{"alg":"HS256","typ":"\#(type)"}"#), "typ \(type)")
        }
        for claim in [#""token_use":"id""#, #""typ":"Refresh""#, #""typ":"ID""#] {
            try expectUnauthorized(TestTokens.token(payload: TestTokens.claims(claim)), "\(claim)")
        }
        for type in ["JWT", "jwt", "at+jwt", "application/at+jwt"] {
            try expectAccepted(TestTokens.token(header: #"{"alg":"HS256","typ":"\#(type)"}"#), "typ \(type)")
        }
    }

    @Test func b21ATokenForAnotherTenantIsForbiddenOnEveryRoute() throws {
        let token = TestTokens.token(payload: TestTokens.claims(tenantID: "t1"))
        for (method, action) in [("POST", "connect"), ("GET", "status"), ("DELETE", "disconnect")] {
            let forbidden = try send(
                authorization: ["Bearer \(token)"], method: method, path: "/api/tenants/t2/whatsapp/\(action)")
            expect(forbidden, status: 403, code: "tenant_forbidden", "\(action)")
            let own = try send(
                authorization: ["Bearer \(token)"], method: method, path: "/api/tenants/t1/whatsapp/\(action)")
            expect(own, status: 404, code: "tenant_not_found", "\(action)")
        }
    }

    @Test func b22ATenantClaimThatIsMissingOrNotAStringIsForbidden() throws {
        let valid = TestTokens.claims()
        for replacement in ["", #""tenantId":1,"#, #""tenantId":["t1"],"#, #""tenantId":null,"#, #""tenantId":"T1","#] {
            let payload = valid.replacingOccurrences(of: #""tenantId":"t1","#, with: replacement)
            let response = try send(authorization: ["Bearer \(TestTokens.token(payload: payload))"])
            expect(response, status: 403, code: "tenant_forbidden", "\(replacement)")
        }
    }

    @Test func authenticationComesBeforeTenantIDValidation() throws {
        for tenantID in ["t1;x", "t1%2F..%2Ft2", "%74%31", String(repeating: "a", count: 65)] {
            let path = "/api/tenants/\(tenantID)/whatsapp/status"
            expect(try send(authorization: [], path: path), status: 401, code: "missing_token", "\(tenantID)")
            let token = TestTokens.token(payload: TestTokens.claims(tenantID: tenantID))
            expect(
                try send(authorization: ["Bearer \(token)"], path: path), status: 400, code: "invalid_tenant_id",
                "\(tenantID)")
        }
    }

    @Test func twoAuthorizationHeadersAreABadRequest() throws {
        let token = TestTokens.token()
        let response = try send(authorization: ["Bearer \(token)", "Bearer \(token)"])
        expect(response, status: 400, code: "bad_request", "nginx refuses a repeated Authorization header")
    }

    @Test func tokensNeverReachTheLog() throws {
        var signatures: [String] = []
        for token in [
            TestTokens.token(), TestTokens.token(secret: "attacker"), TestTokens.token(header: #"{"alg":"HS512"}"#),
        ] {
            signatures.append(String(token.split(separator: ".")[2]))
            let response = try send(authorization: ["Bearer \(token)"])
            let id = try #require(response.headers["x-request-id"])
            try Wait.until("the request's log line is written") {
                try stack.responder.logLines().contains { $0["requestId"] as? String == id }
            }
        }
        let log = try String(contentsOf: stack.responder.logFile, encoding: .utf8)
        for signature in signatures { #expect(!log.contains(signature)) }
        #expect(log.contains("signature does not verify"))
    }
}
