import Foundation

/// The whole stack as production runs it: a migrated PostgreSQL database, the responder under spawn-fcgi, and
/// nginx in front.
final class TestStack: @unchecked Sendable {
    let directory: URL
    let databaseURL: String
    let responder: TestResponder
    let nginx: TestNginx

    private init(directory: URL, databaseURL: String, responder: TestResponder, nginx: TestNginx) {
        self.directory = directory
        self.databaseURL = databaseURL
        self.responder = responder
        self.nginx = nginx
    }

    /// Migrates `databaseURL`, then starts the responder (with `environment`; see ``TestResponder/start``) and
    /// nginx (rendered with `nginxEnvironment`, e.g. `TW_NGINX_RATE`) in a new scratch folder.
    static func start(
        databaseURL: String, threads: Int = 4, environment: [String: String] = [:],
        nginxEnvironment: [String: String] = [:]
    ) throws
        -> TestStack
    {
        try migrate(databaseURL: databaseURL)
        let directory = try TestEnvironment.makeScratchDirectory("stack")
        var responderEnvironment = environment
        responderEnvironment["DATABASE_URL"] = databaseURL
        let responder = try TestResponder.start(in: directory, environment: responderEnvironment, threads: threads)
        do {
            let nginx = try TestNginx.start(
                in: directory, socketPath: responder.socketPath, environment: nginxEnvironment)
            return TestStack(directory: directory, databaseURL: databaseURL, responder: responder, nginx: nginx)
        } catch {
            responder.terminate()
            throw error
        }
    }

    /// Applies the project's migrations with the real `migrate` command.
    static func migrate(databaseURL: String) throws {
        let migrations = TestEnvironment.packageRoot.appendingPathComponent("sql/migrations").path
        try Subprocess.check(
            [TestEnvironment.responderBinary, "migrate", "--dir", migrations],
            environment: ["DATABASE_URL": databaseURL])
    }

    /// Sends a request through nginx.
    func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil
    ) throws -> TestHTTPResponse {
        try nginx.send(method, path, headers: headers, body: body)
    }

    /// Stops nginx and the responder and removes the scratch folder; returns the responder's exit status.
    @discardableResult
    func stop() -> Int32 {
        nginx.stop()
        let status = responder.terminate()
        try? FileManager.default.removeItem(at: directory)
        return status
    }
}
