import Foundation

/// A real `redis-server` on a free loopback port, in a scratch folder, persisting nothing: what nchan shares between
/// several nginx hosts (docs/events.md, "Several nginx hosts").
final class TestRedis: @unchecked Sendable {
    let port: Int
    let directory: URL

    /// The URL nginx's render takes (`TW_REDIS_URL`).
    var url: String { "redis://127.0.0.1:\(port)" }

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    /// Starts redis-server (daemonized, its pid in the scratch folder) and waits until it answers `PING`.
    static func start() throws -> TestRedis {
        let port = try TestEnvironment.freeLoopbackPort()
        let directory = try TestEnvironment.makeScratchDirectory("redis")
        let status = try Subprocess.runStartingDaemon(
            [
                "/usr/bin/redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "yes", "--dir", directory.path,
                "--pidfile", directory.appendingPathComponent("redis.pid").path,
                "--logfile", directory.appendingPathComponent("redis.log").path,
            ], outputFile: directory.appendingPathComponent("start.log").path)
        guard status == 0 else { throw TestFailure("redis-server did not start (exit \(status))") }
        let redis = TestRedis(port: port, directory: directory)
        try Wait.until("redis answers PING on \(port)") { try redis.command("PING") == "PONG" }
        return redis
    }

    /// Runs one command with redis-cli and returns its output, trimmed.
    @discardableResult
    func command(_ arguments: String...) throws -> String {
        let result = try Subprocess.run(["/usr/bin/redis-cli", "-p", String(port)] + arguments)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server and removes the scratch folder: `SHUTDOWN NOSAVE`, which waits for nothing the test process
    /// holds; SIGKILL if it does not go.
    func stop() {
        let pidFile = directory.appendingPathComponent("redis.pid")
        let pid = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap {
            Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        _ = try? command("SHUTDOWN", "NOSAVE")
        if let pid {
            let gone = (try? Wait.until("redis-server exits") { !FileManager.default.fileExists(atPath: pidFile.path) })
            if gone == nil { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
