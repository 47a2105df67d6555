import Foundation
import TestProcesses

/// The real `tenant-whatsapp serve`, started by spawn-fcgi on a unix socket as in production.
///
/// `spawn-fcgi -n` binds the socket, puts it on file descriptor 0 and execs the responder in its own process, so
/// the process here *is* the responder.
final class TestResponder: @unchecked Sendable {
    let socketPath: String
    let logFile: URL
    private let process: ChildProcess

    /// A responder already started as `process` (``start(in:environment:threads:maxRequests:name:)``, or on a
    /// socket of its own: `TestResponder+SocketUnit.swift`).
    init(socketPath: String, logFile: URL, process: ChildProcess) {
        self.socketPath = socketPath
        self.logFile = logFile
        self.process = process
    }

    /// The responder's process id.
    var pid: Int32 { process.pid }

    /// The Evolution server a responder gets when a test does not name one: the discard port on loopback, where
    /// nothing listens. The responder requires `EVOLUTION_API_URL` and `EVOLUTION_API_KEY` at start; a test whose
    /// requests never reach Evolution does not care where they point.
    static let unusedEvolutionURL = "http://127.0.0.1:9"
    /// The Evolution key that goes with ``unusedEvolutionURL``.
    static let unusedEvolutionKey = "unused-evolution-key-for-tests"

    /// Starts the responder with `environment` (DATABASE_URL, …) plus `LOG_FILE` in `directory`,
    /// `JWT_SECRET` = ``TestTokens/secret`` unless `environment` configures a JWT key itself, and
    /// ``unusedEvolutionURL`` / ``unusedEvolutionKey`` unless it sets `EVOLUTION_API_URL` / `EVOLUTION_API_KEY`.
    static func start(
        in directory: URL, environment: [String: String], threads: Int = 4, maxRequests: Int? = nil,
        name: String = "fcgi"
    ) throws -> TestResponder {
        let socketPath = directory.appendingPathComponent("\(name).sock").path
        let logFile = directory.appendingPathComponent("\(name).log")
        let process = try ChildProcess(
            arguments: [
                "/usr/bin/spawn-fcgi", "-n", "-s", socketPath, "-M", "0660", "--", TestEnvironment.responderBinary,
                "serve", "--threads", String(threads),
            ] + (maxRequests.map { ["--max-requests", String($0)] } ?? []),
            environment: responderEnvironment(environment, logFile: logFile),
            standardError: .file(directory.appendingPathComponent("\(name).err").path))
        let responder = TestResponder(socketPath: socketPath, logFile: logFile, process: process)
        try Wait.until("the responder socket \(socketPath) exists") {
            guard process.isRunning else {
                throw TestFailure("spawn-fcgi exited \(process.waitForExit()): \(responder.standardError())")
            }
            return FileManager.default.fileExists(atPath: socketPath)
        }
        return responder
    }

    /// Sends SIGTERM and waits for the process; returns its exit status.
    @discardableResult
    func terminate() -> Int32 {
        process.terminate()
    }

    /// Sends SIGTERM without waiting.
    func sendTerminate() {
        process.send(SIGTERM)
    }

    /// Kills the process with SIGKILL, as a crash or the OOM killer would, and waits for it: nothing runs its clean-up.
    func killHard() {
        process.terminate(with: SIGKILL)
    }

    /// How many connections wait in the listening socket's backlog, accepted by the kernel but not yet by the
    /// responder (`ss`'s Recv-Q of a listening unix socket).
    func queuedConnections() throws -> Int {
        let result = try Subprocess.run(["/usr/bin/ss", "-xlnH", "src", socketPath])
        guard result.succeeded else { throw TestFailure("ss failed: \(result.error)") }
        let fields = result.output.split(whereSeparator: \.isWhitespace)
        // Netid State Recv-Q Send-Q Local Port Peer Port
        guard fields.count >= 3, let queued = Int(fields[2]) else {
            throw TestFailure("cannot read the backlog of \(socketPath) from: \(result.output)")
        }
        return queued
    }

    /// Waits for the process to exit and returns its exit status.
    func waitForExit() -> Int32 {
        process.waitForExit()
    }

    /// Whether the process still runs.
    var isRunning: Bool { process.isRunning }

    /// The JSON log lines written so far.
    func logLines() throws -> [[String: Any]] {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("log line is not a JSON object: \(line)")
            }
            return object
        }
    }

    /// What the process wrote to standard error.
    func standardError() -> String {
        let url = logFile.deletingPathExtension().appendingPathExtension("err")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    /// `environment` with what a test responder needs to start: the test JWT secret unless it names a key (the
    /// responder refuses to start without one), ``unusedEvolutionURL`` / ``unusedEvolutionKey`` unless it names an
    /// Evolution server (required at start since issue #5), `LOG_FILE` and the test process's `PATH`.
    static func responderEnvironment(_ environment: [String: String], logFile: URL) -> [String: String] {
        var fullEnvironment = environment
        if environment["JWT_SECRET"] == nil && environment["JWT_PUBLIC_KEY_FILE"] == nil {
            fullEnvironment["JWT_SECRET"] = TestTokens.secret
        }
        if environment["EVOLUTION_API_URL"] == nil { fullEnvironment["EVOLUTION_API_URL"] = unusedEvolutionURL }
        if environment["EVOLUTION_API_KEY"] == nil { fullEnvironment["EVOLUTION_API_KEY"] = unusedEvolutionKey }
        fullEnvironment["LOG_FILE"] = logFile.path
        fullEnvironment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        return fullEnvironment
    }
}
