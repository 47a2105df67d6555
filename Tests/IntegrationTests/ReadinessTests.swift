import Foundation
import Testing

/// `/api/ready` follows PostgreSQL: 503 while it is down, 200 again once it is back, in the same responder process.
@Suite("Readiness across a PostgreSQL restart")
struct ReadinessTests {
    @Test func readyFollowsPostgreSQLDownAndBackUp() throws {
        let postgres = try TestPostgres.start(label: "ready")
        defer { postgres.shutdown() }
        let stack = try TestStack.start(databaseURL: postgres.databaseURL, threads: 2)
        defer { stack.stop() }
        let pid = stack.responder.pid

        #expect(try stack.send("GET", "/api/ready").status == 200)

        try postgres.stop()
        let down = try stack.send("GET", "/api/ready")
        #expect(down.status == 503)
        let body = try down.jsonObject()
        #expect(body["error"] as? String == "database_unavailable")
        #expect(body["requestId"] as? String == down.headers["x-request-id"])
        #expect(try stack.send("GET", "/api/health").status == 200)

        try postgres.restart()
        // Every worker thread holds its own connection; each must recover on its first use after the restart.
        for _ in 0..<6 {
            #expect(try stack.send("GET", "/api/ready").status == 200)
        }
        #expect(stack.responder.pid == pid)
        #expect(stack.responder.isRunning)
    }

    @Test func readyIs503WhenTheSchemaIsNotMigrated() throws {
        let database = try TestPostgres.shared.createDatabase("unmigrated_\(UInt32.random(in: 0...UInt32.max))")
        let directory = try TestEnvironment.makeScratchDirectory("unmigrated")
        defer { try? FileManager.default.removeItem(at: directory) }
        let responder = try TestResponder.start(in: directory, environment: ["DATABASE_URL": database], threads: 1)
        defer { responder.terminate() }
        let nginx = try TestNginx.start(in: directory, socketPath: responder.socketPath)
        defer { nginx.stop() }
        let response = try nginx.send("GET", "/api/ready")
        #expect(response.status == 503)
        #expect(try response.jsonObject()["error"] as? String == "database_unavailable")
    }
}
