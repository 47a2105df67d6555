import Foundation
import TestProcesses

/// `scripts/event-receiver` on a free loopback port: the endpoint that signed event webhooks (Standard Webhooks) are
/// delivered to in the tests. It verifies every delivery with the `standardwebhooks` package, records it, and answers
/// as ``setAnswer(status:retryAfter:delayMs:)`` says (204 by default).
///
/// Run by the python of the tests' virtual environment (`.build/python-venv`, made by scripts/test from
/// scripts/requirements-test.txt), else the first `python3` on PATH. Stopped at `deinit`.
final class TestEventReceiver: @unchecked Sendable {
    /// One recorded delivery attempt, as the receiver reports it.
    struct Delivery: Decodable, Sendable {
        /// Its place in the order of arrival, from 0 (since the start or the last ``reset()``).
        let index: Int
        let webhookId: String?
        let webhookTimestamp: String?
        /// The raw body, as text.
        let body: String
        /// Every request header, names in lower case.
        let headers: [String: String]
        /// Whether `standardwebhooks` verified it; `error` says why not.
        let verified: Bool
        let error: String?
        /// The status the receiver answered.
        let status: Int
        /// When it arrived (ISO 8601, UTC, milliseconds) and the same as Unix seconds.
        let receivedAt: String
        let receivedAtUnix: Double

        /// The body parsed as a JSON object.
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
                throw TestFailure("delivery \(index) is not a JSON object: \(body.prefix(200))")
            }
            return object
        }
    }

    /// What the receiver's `standardwebhooks` said of a body and its headers.
    struct Verification: Decodable, Sendable {
        let verified: Bool
        let error: String?
    }

    /// The signing secret, `whsec_<base64>`.
    let secret: String
    let port: Int
    let directory: URL
    private let lock = NSLock()
    private var child: ChildProcess?

    /// Where deliveries go: `http://127.0.0.1:<port>/events`.
    var url: String { "http://127.0.0.1:\(port)/events" }

    /// The receiver's script.
    static var script: String { TestEnvironment.packageRoot.appendingPathComponent("scripts/event-receiver").path }

    /// The python that runs it: the tests' virtual environment's, which has `standardwebhooks`.
    static var python: [String] {
        let venv = TestEnvironment.packageRoot.appendingPathComponent(".build/python-venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? [venv] : ["/usr/bin/env", "python3"]
    }

    /// A new random secret: `whsec_` and the base64 of 32 random bytes.
    static func makeSecret() -> String {
        "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    private init(secret: String, port: Int, directory: URL, child: ChildProcess) {
        self.secret = secret
        self.port = port
        self.directory = directory
        self.child = child
    }

    /// Starts a receiver with `secret` on a free loopback port, in a new scratch folder; returns once it listens.
    static func start(secret: String = makeSecret()) throws -> TestEventReceiver {
        let directory = try TestEnvironment.makeScratchDirectory("receiver")
        do {
            let (child, port) = try launch(secret: secret, port: 0, in: directory)
            return TestEventReceiver(secret: secret, port: port, directory: directory, child: child)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    // MARK: - Control API

    /// The recorded deliveries, oldest first; only those that verified when `verifiedOnly`.
    func deliveries(verifiedOnly: Bool = false) throws -> [Delivery] {
        struct List: Decodable { let deliveries: [Delivery] }
        let response = try control("GET", "deliveries" + (verifiedOnly ? "?verified=1" : ""))
        return try JSONDecoder().decode(List.self, from: response.body).deliveries
    }

    /// Has every following delivery answered with `status` (and `Retry-After: retryAfter` when given), after
    /// `delayMs` milliseconds.
    func setAnswer(status: Int, retryAfter: String? = nil, delayMs: Int = 0, location: String? = nil) throws {
        var mode: [String: Any] = ["status": status, "delayMs": delayMs]
        if let retryAfter { mode["retryAfter"] = retryAfter }
        if let location { mode["location"] = location }
        try control("POST", "mode", json: mode)
    }

    /// Asks the receiver's `standardwebhooks` whether `body` verifies under `headers` (nothing is recorded).
    func verify(body: String, headers: [String: String]) throws -> Verification {
        let response = try control("POST", "verify", json: ["body": body, "headers": headers])
        return try JSONDecoder().decode(Verification.self, from: response.body)
    }

    /// Forgets every delivery and answers 204 again.
    func reset() throws {
        try control("POST", "reset")
    }

    // MARK: - Stop and restart

    /// Stops the receiver (SIGTERM; SIGKILL after 10 s) and waits for it: the endpoint is down, its port refuses
    /// connections.
    func stop() {
        let running = lock.withLock {
            defer { child = nil }
            return child
        }
        guard let running else { return }
        running.send(SIGTERM)
        if (try? Wait.until("event-receiver exits", timeoutSeconds: 10) { !running.isRunning }) == nil {
            running.terminate(with: SIGKILL)
        }
    }

    /// Starts the receiver again on the same port, with nothing recorded: the endpoint is back.
    func restart() throws {
        stop()
        let (started, _) = try Self.launch(secret: secret, port: port, in: directory)
        lock.withLock { child = started }
    }

    /// What the receiver wrote to stderr and its request log.
    func logText() -> String {
        ["receiver.err", "receiver.log"].map {
            (try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)) ?? ""
        }.joined(separator: "\n")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Private

    @discardableResult
    private func control(_ method: String, _ path: String, json: [String: Any]? = nil) throws -> TestHTTPResponse {
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0) }
        let response = try TestHTTPClient.send(
            port: port, method: method, path: "/_receiver/" + path, headers: [("Content-Type", "application/json")],
            body: body)
        guard response.status == 200 else {
            throw TestFailure("receiver \(method) /_receiver/\(path) answered \(response.status): \(response.text)")
        }
        return response
    }

    /// Starts the script on `port` (0: a free one) and waits for the port file it writes once listening.
    private static func launch(secret: String, port: Int, in directory: URL) throws -> (ChildProcess, Int) {
        let portFile = directory.appendingPathComponent("port")
        try? FileManager.default.removeItem(at: portFile)
        var environment = ProcessInfo.processInfo.environment
        environment["EVENT_RECEIVER_SECRET"] = secret
        let child = try ChildProcess(
            arguments: python + [
                script, "--port", String(port), "--port-file", portFile.path,
                "--log", directory.appendingPathComponent("receiver.log").path,
            ],
            environment: environment, standardError: .file(directory.appendingPathComponent("receiver.err").path))
        var listening: Int?
        do {
            try Wait.until("the event receiver writes its port to \(portFile.path)") {
                if let text = try? String(contentsOf: portFile, encoding: .utf8) {
                    listening = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
                }
                guard listening != nil || child.isRunning else {
                    let error =
                        (try? String(contentsOf: directory.appendingPathComponent("receiver.err"), encoding: .utf8))
                        ?? ""
                    throw TestFailure("event-receiver exited \(child.waitForExit()): \(error)")
                }
                return listening != nil
            }
        } catch {
            child.terminate()
            throw error
        }
        return (child, listening ?? port)
    }
}
