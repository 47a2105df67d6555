import Foundation
import HTTPServer
import Logging
import Testing

@testable import TenantWhatsApp

/// Authentication and authorization in front of the tenant routes, through `Application.respond` (no nginx): the
/// order 401 → 400 → 403, the codes and `WWW-Authenticate` (RFC 6750 §3).
///
/// There is no database and no Evolution here: a request refused by authentication or authorization never needs
/// them, and one that is accepted goes on to look its tenant up, which fails with 503 `database_unavailable`. That
/// 503 is how these tests see "accepted".
@Suite("Authorization of tenant routes")
struct AuthorizationTests {
    /// The answer of a request that passed authentication and authorization.
    static let accepted = (status: 503, code: "database_unavailable")

    private let application: Application

    init() throws {
        application = try Application(
            configuration: try Configuration.load(from: Self.environment()), logger: Logger(label: "test"))
    }

    /// A configuration whose database and Evolution server cannot be reached, with `extra` added.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ConfigurationTests.minimal
        environment["DATABASE_URL"] = "postgresql:///unused?host=/nonexistent"
        environment["EVOLUTION_API_URL"] = "http://127.0.0.1:9"
        environment["EVOLUTION_API_KEY"] = "unused-evolution-key-for-tests"
        return environment.merging(extra) { $1 }
    }

    private func send(
        _ method: HTTPMethod = .get, _ path: String = "/api/tenants/t1/whatsapp/status", authorization: [String] = []
    ) -> (status: Int, code: String?, challenge: String?) {
        let headers = HTTPHeaders(authorization.map { ("authorization", $0) })
        let request = HTTPRequest(method: method, path: path, headers: headers, requestID: "r1")
        let response = application.respond(to: request, context: RequestContext(requestID: "r1"))
        let body = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return (response.status.code, body?["error"] as? String, response.headers["WWW-Authenticate"])
    }

    @Test func missingTokenIs401WithAPlainBearerChallenge() {
        let answer = send()
        #expect(answer.status == 401)
        #expect(answer.code == "missing_token")
        #expect(answer.challenge == "Bearer")
    }

    @Test(arguments: ["Basic dXNlcjpwYXNz", "Token abc", "Digest x", "Bearerabc"])
    func anotherSchemeCountsAsNoBearerToken(authorization: String) {
        let answer = send(authorization: [authorization])
        #expect(answer.status == 401)
        #expect(answer.code == "missing_token")
        #expect(answer.challenge == "Bearer")
    }

    @Test(arguments: ["Bearer", "Bearer ", "Bearer a b", "Bearer abc\u{7F}", "Bearer not-a-jwt", "Bearer a.b.c"])
    func aBadTokenIs401InvalidToken(authorization: String) {
        let answer = send(authorization: [authorization])
        #expect(answer.status == 401)
        #expect(answer.code == "invalid_token")
        #expect(answer.challenge == #"Bearer error="invalid_token""#)
    }

    @Test func twoAuthorizationHeadersAreRefusedEvenIfBothAreValid() {
        let token = TestToken.make()
        let answer = send(authorization: ["Bearer \(token)", "Bearer \(token)"])
        #expect(answer.status == 401)
        #expect(answer.code == "invalid_token")
    }

    @Test(arguments: ["Bearer", "bearer", "BEARER", "bEaReR"])
    func theSchemeIsCaseInsensitive(scheme: String) {
        let answer = send(authorization: ["\(scheme) \(TestToken.make())"])
        #expect(answer.status == Self.accepted.status)
        #expect(answer.code == Self.accepted.code)
    }

    @Test func anExpiredTokenIs401TokenExpired() {
        let expired = TestToken.make(claims: #"{"tenantId":"t1","exp":\#(TestToken.now - 61)}"#)
        let answer = send(authorization: ["Bearer \(expired)"])
        #expect(answer.status == 401)
        #expect(answer.code == "token_expired")
        #expect(answer.challenge == #"Bearer error="invalid_token", error_description="The access token expired""#)
    }

    @Test func aTokenForAnotherTenantIs403OnEveryRoute() {
        let token = TestToken.make(tenantID: "t1")
        for (method, action) in [(HTTPMethod.post, "connect"), (.get, "status"), (.delete, "disconnect")] {
            let answer = send(method, "/api/tenants/t2/whatsapp/\(action)", authorization: ["Bearer \(token)"])
            #expect(answer.status == 403, "\(action)")
            #expect(answer.code == "tenant_forbidden", "\(action)")
            #expect(answer.challenge == nil)
            let own = send(method, "/api/tenants/t1/whatsapp/\(action)", authorization: ["Bearer \(token)"])
            #expect(own.status == Self.accepted.status, "\(action)")
            #expect(own.code == Self.accepted.code, "\(action)")
        }
    }

    @Test(arguments: [
        #"{"exp":\#(TestToken.now + 600)}"#, #"{"tenantId":1,"exp":\#(TestToken.now + 600)}"#,
        #"{"tenantId":["t1"],"exp":\#(TestToken.now + 600)}"#, #"{"tenantId":null,"exp":\#(TestToken.now + 600)}"#,
    ])
    func aTenantClaimThatIsMissingOrNotAStringIs403(claims: String) {
        let answer = send(authorization: ["Bearer \(TestToken.make(claims: claims))"])
        #expect(answer.status == 403)
        #expect(answer.code == "tenant_forbidden")
    }

    @Test func theTenantClaimComparesExactly() {
        let token = TestToken.make(tenantID: "t1")
        #expect(send(.get, "/api/tenants/T1/whatsapp/status", authorization: ["Bearer \(token)"]).status == 403)
        #expect(send(.get, "/api/tenants/t1x/whatsapp/status", authorization: ["Bearer \(token)"]).status == 403)
    }

    @Test(arguments: [
        "t1%2F..%2Ft2", "%74%31", "t1;x", "t1.x", "t%31", String(repeating: "a", count: 65), "t\u{0131}", "t1 ",
        "' OR '1'='1",
    ])
    func anInvalidTenantIDIs400AfterAuthentication(tenantID: String) {
        let path = "/api/tenants/\(tenantID)/whatsapp/status"
        let authenticated = send(.get, path, authorization: ["Bearer \(TestToken.make(tenantID: tenantID))"])
        #expect(authenticated.status == 400)
        #expect(authenticated.code == "invalid_tenant_id")
        #expect(send(.get, path).code == "missing_token")
    }

    @Test func aSixtyFourCharacterTenantIDIsValid() {
        let tenantID = String(repeating: "A-z_9", count: 12) + "abcd"
        let token = TestToken.make(tenantID: tenantID)
        let answer = send(.get, "/api/tenants/\(tenantID)/whatsapp/status", authorization: ["Bearer \(token)"])
        #expect(answer.status == Self.accepted.status)
        #expect(answer.code == Self.accepted.code)
    }

    @Test func theTenantClaimNameIsConfigurable() throws {
        let application = try Application(
            configuration: try Configuration.load(from: Self.environment(["JWT_TENANT_CLAIM": "org"])),
            logger: Logger(label: "test"))
        let token = TestToken.make(claims: #"{"tenantId":"t2","org":"t1","exp":\#(TestToken.now + 600)}"#)
        let request = HTTPRequest(
            method: .get, path: "/api/tenants/t1/whatsapp/status",
            headers: HTTPHeaders([("authorization", "Bearer \(token)")]), requestID: "r")
        #expect(
            application.respond(to: request, context: RequestContext(requestID: "r")).status.code
                == Self.accepted.status)
    }

    @Test func wrongMethodOnATenantRouteIs405WithAllow() {
        let answer = send(.get, "/api/tenants/t1/whatsapp/connect")
        #expect(answer.status == 405)
    }

    @Test func theLogLineNamesTheReasonButNeverTheToken() {
        let token = TestToken.make(secret: "another-secret-of-at-least-32-bytes!")
        let request = HTTPRequest(
            method: .get, path: "/api/tenants/t1/whatsapp/status",
            headers: HTTPHeaders([("authorization", "Bearer \(token)")]), requestID: "r")
        let context = RequestContext(requestID: "r")
        _ = application.respond(to: request, context: context)
        let logged = "\(context.logMetadata)"
        #expect(logged.contains("signature does not verify"))
        #expect(!logged.contains(token.prefix(20)))
    }
}
