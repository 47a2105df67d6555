import Foundation
import TestProcesses

/// The real `evolution-sim serve` under spawn-fcgi (`-n`, a unix socket), behind its own nginx rendered by
/// `scripts/render-sim-nginx` on a free loopback port: the Evolution API the client tests talk to.
///
/// Each start gets a new random API key, so a test can grep every log for it.
final class TestEvolutionSim: @unchecked Sendable {
    let directory: URL
    let port: Int
    let apiKey: String
    /// The simulator's JSON log.
    let logFile: URL
    private let simulator: ChildProcess
    private let nginx: TestNginx
    private let lock = NSLock()
    private var stopped = false

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// The simulator's executable.
    static var binary: String { TestEnvironment.binDirectory.appendingPathComponent("evolution-sim").path }

    private init(directory: URL, port: Int, apiKey: String, logFile: URL, simulator: ChildProcess, nginx: TestNginx) {
        self.directory = directory
        self.port = port
        self.apiKey = apiKey
        self.logFile = logFile
        self.simulator = simulator
        self.nginx = nginx
    }

    /// Starts the simulator (with `environment` added to its own) and its nginx in a new scratch folder.
    static func start(environment: [String: String] = [:], threads: Int = 8) throws -> TestEvolutionSim {
        let directory = try TestEnvironment.makeScratchDirectory("evosim")
        let apiKey = "sim-key-" + UUID().uuidString.lowercased()
        let socketPath = directory.appendingPathComponent("sim.sock").path
        let logFile = directory.appendingPathComponent("sim.log")
        var fullEnvironment = environment
        fullEnvironment["SIM_API_KEY"] = apiKey
        fullEnvironment["LOG_FILE"] = logFile.path
        fullEnvironment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        let errorFile = directory.appendingPathComponent("sim.err")
        let simulator = try ChildProcess(
            arguments: [
                "/usr/bin/spawn-fcgi", "-n", "-s", socketPath, "-M", "0660", "--", binary, "serve", "--threads",
                "\(threads)",
            ],
            environment: fullEnvironment, standardError: .file(errorFile.path))
        do {
            try Wait.until("the simulator socket \(socketPath) exists") {
                guard simulator.isRunning else {
                    let output = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
                    throw TestFailure("spawn-fcgi evolution-sim exited \(simulator.waitForExit()): \(output)")
                }
                return FileManager.default.fileExists(atPath: socketPath)
            }
            let nginx = try TestNginx.start(
                in: directory.appendingPathComponent("nginx"), socketPaths: [socketPath],
                renderer: "scripts/render-sim-nginx")
            return TestEvolutionSim(
                directory: directory, port: nginx.port, apiKey: apiKey, logFile: logFile, simulator: simulator,
                nginx: nginx)
        } catch {
            simulator.terminate()
            throw error
        }
    }

    // MARK: - Requests

    /// Sends a raw request through the simulator's nginx.
    func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil
    ) throws -> TestHTTPResponse {
        try TestHTTPClient.send(port: port, method: method, path: path, headers: headers, body: body)
    }

    /// Sends a request with the global key (and a JSON body, when given).
    func sendWithKey(_ method: String, _ path: String, json: String? = nil) throws -> TestHTTPResponse {
        var headers = [("apikey", apiKey)]
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return try send(method, path, headers: headers, body: json.map { Data($0.utf8) })
    }

    /// Sends a control request and fails unless it answers 2xx; returns the JSON object.
    @discardableResult
    func control(_ method: String, _ path: String, json: String? = nil) throws -> [String: Any] {
        let response = try send(
            method, "/_sim" + path, headers: [("Content-Type", "application/json")], body: json.map { Data($0.utf8) })
        guard (200...299).contains(response.status) else {
            throw TestFailure("control \(method) \(path) answered \(response.status): \(response.text)")
        }
        return try response.jsonObject()
    }

    // MARK: - Control helpers

    /// A phone scans the instance's QR code (→ open).
    func scan(instance: String) throws { try control("POST", "/instances/\(instance)/scan") }

    /// Scans `instance` with the phone of `number` (digits, no `+`) whose profile name is `profileName`: the account
    /// Evolution reports on `open` (`wuid`, `profileName`).
    func scan(instance: String, number: String, profileName: String) throws {
        try control(
            "POST", "/instances/\(instance)/scan",
            json: #"{"wuid":"\#(number)@s.whatsapp.net","profileName":"\#(profileName)"}"#)
    }

    /// The connection drops for good (→ close, statusReason 401).
    func drop(instance: String) throws { try control("POST", "/instances/\(instance)/drop") }

    /// The next QR code now.
    func rotateQRCode(instance: String) throws { try control("POST", "/instances/\(instance)/rotate-qr") }

    /// Injects a fault: `fault` is the JSON object of `POST /_sim/faults` (route, kind, times, delayMs, …).
    func inject(_ fault: String) throws { try control("POST", "/faults", json: fault) }

    /// Changes settings (`PUT /_sim/settings`).
    func updateSettings(_ json: String) throws { try control("PUT", "/settings", json: json) }

    /// The call log.
    func callLog() throws -> [[String: Any]] {
        try control("GET", "/calls")["calls"] as? [[String: Any]] ?? []
    }

    /// The webhooks the simulator received on `/_sim/webhooks`.
    func receivedWebhooks() throws -> [[String: Any]] {
        try control("GET", "/webhooks")["webhooks"] as? [[String: Any]] ?? []
    }

    /// Forgets every instance, fault, call and webhook; restores the settings.
    func reset() throws { try control("POST", "/reset") }

    // MARK: - Logs and stop

    /// Everything the simulator and its nginx wrote: the JSON log, stderr, access and error logs.
    func allLogText() -> String {
        ["sim.log", "sim.err", "nginx/access.log", "nginx/error.log"].map {
            (try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)) ?? ""
        }.joined(separator: "\n")
    }

    /// nginx's access log as JSON objects.
    func accessLog() throws -> [[String: Any]] {
        let text =
            (try? String(contentsOf: directory.appendingPathComponent("nginx/access.log"), encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("access log line is not a JSON object: \(line)")
            }
            return object
        }
    }

    /// Stops nginx (QUIT) and the simulator (TERM), waits for both and removes the scratch folder.
    func stop() {
        let alreadyStopped = lock.withLock {
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        nginx.stop()
        simulator.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        stop()
    }
}

extension TestEvolutionSim {
    /// A simulator for a whole suite, started on first use and stopped when the test process exits.
    static func launchedForProcess() -> Result<TestEvolutionSim, TestFailure> {
        do {
            let simulator = try start()
            TestEvolutionSimRegistry.add(simulator)
            return .success(simulator)
        } catch {
            return .failure(TestFailure("evolution-sim did not start: \(error)"))
        }
    }
}

/// The simulators to stop at process exit.
private enum TestEvolutionSimRegistry {
    nonisolated(unsafe) private static var simulators: [TestEvolutionSim] = []
    private static let lock = NSLock()
    private static let registered: Bool = {
        atexit(stopRegisteredSimulators)
        return true
    }()

    static func add(_ simulator: TestEvolutionSim) {
        lock.withLock {
            _ = registered
            simulators.append(simulator)
        }
    }

    static func stopAll() {
        let all = lock.withLock {
            defer { simulators.removeAll() }
            return simulators
        }
        all.forEach { $0.stop() }
    }
}

/// Stops the registered simulators at process exit; a free C function, as `atexit` needs.
private func stopRegisteredSimulators() {
    TestEvolutionSimRegistry.stopAll()
}
