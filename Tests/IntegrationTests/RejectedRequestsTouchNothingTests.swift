import Foundation
import Testing

/// Requests refused by authentication, tenant-id validation or authorization touch neither PostgreSQL nor
/// Evolution (docs/api.md). The responder connects to PostgreSQL lazily, so a fresh responder that has refused a
/// batch of requests must still have no session open. (Evolution: asserted with the simulator's call log once the
/// routes call it, issue #5.)
@Suite("Rejected requests touch nothing")
struct RejectedRequestsTouchNothingTests {
    @Test func aBatchOfRefusedRequestsOpensNoDatabaseSession() throws {
        let label = "untouched_\(UInt32.random(in: 0...UInt32.max))"
        let databaseURL = try TestPostgres.shared.createDatabase(label)
        let database = try #require(
            databaseURL.split(separator: "?").first?.split(separator: "/").last.map(String.init))
        let stack = try TestStack.start(
            databaseURL: databaseURL, threads: 2, nginxEnvironment: ["TW_NGINX_RATE": "1000r/s"])
        defer { stack.stop() }

        let forT1 = TestTokens.token(payload: TestTokens.claims(tenantID: "t1"))
        let refusals: [(String, String, [String], Int)] = [
            ("GET", "/api/tenants/t1/whatsapp/status", [], 401),
            ("POST", "/api/tenants/t1/whatsapp/connect", ["Basic dXNlcjpwYXNz"], 401),
            ("DELETE", "/api/tenants/t1/whatsapp/disconnect", ["Bearer \(TestTokens.token(secret: "attacker"))"], 401),
            ("GET", "/api/tenants/t1/whatsapp/status", ["Bearer \(TestTokens.token(header: #"{"alg":"none"}"#))"], 401),
            (
                "GET", "/api/tenants/t1/whatsapp/status",
                ["Bearer \(TestTokens.token(payload: TestTokens.claims(exp: "1")))"], 401
            ),
            ("GET", "/api/tenants/t1;x/whatsapp/status", ["Bearer \(forT1)"], 400),
            ("POST", "/api/tenants/t2/whatsapp/connect", ["Bearer \(forT1)"], 403),
            ("GET", "/api/tenants/t2/whatsapp/status", ["Bearer \(forT1)"], 403),
            ("DELETE", "/api/tenants/t2/whatsapp/disconnect", ["Bearer \(forT1)"], 403),
        ]
        for (method, path, authorization, status) in refusals {
            let response = try stack.send(method, path, headers: authorization.map { ("Authorization", $0) })
            #expect(response.status == status, "\(method) \(path)")
        }
        let sessions = """
            SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)' AND application_name = 'tenant-whatsapp'
            """
        #expect(try TestPostgres.shared.psql(sessions, database: "postgres") == "0")

        // The control: a request that does use the database shows up in the same query.
        #expect(try stack.send("GET", "/api/ready").status == 200)
        #expect(try TestPostgres.shared.psql(sessions, database: "postgres") != "0")
    }
}
