import Foundation
import Testing

/// Zero-downtime restarts (issue 15), as the README's procedures do them, while eight clients keep calling: one of
/// two responders in one nginx upstream stopped with a plain SIGTERM and started again on the same socket path, the
/// only responder replaced through a socket renamed over its own, and the only responder of a socket the test holds
/// (as a systemd socket unit does) restarted with `--on-stop handover`. Not one request fails.
@Suite("Zero-downtime restart", .serialized)
final class ZeroDowntimeRestartTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
    }

    @Test func restartingOneOfTwoRespondersUnderLoadFailsNoRequestAndBothGenerationsServe() throws {
        let stack = try startStack("restart", responderCount: 2)
        defer { stack.stop() }
        let load = try startLoad(on: stack)
        defer { _ = try? load.stop() }
        let old = stack.responders[0]
        try Wait.until("both responders answer requests") {
            try load.made() > 100 && stack.responders.allSatisfy { try Self.requestLines(of: $0) > 0 }
        }

        // The restart, as in the README: SIGTERM (the old process refuses new connections at once, so nginx sends
        // each request to the other responder, answers what is queued and in flight, then exits 0), and the
        // supervisor starts the new process on the same path (spawn-fcgi replaces the socket file left behind).
        let signalled = Date()
        old.sendTerminate()
        try Wait.until("the old process exits under load") { !old.isRunning }
        let secondsToExit = Date().timeIntervalSince(signalled)
        #expect(old.waitForExit() == 0)
        #expect(
            try old.logLines().contains {
                $0["message"] as? String == "shutting down: finishing requests in flight"
                    && $0["newConnections"] as? String == "refused"
            })
        let oldGenerationLines = try Self.requestLines(of: old)
        let new = try TestResponder.start(in: stack.directory, environment: stack.responderEnvironment, name: "fcgi1")
        defer { new.terminate() }
        #expect(new.socketPath == old.socketPath)

        // nginx tries the path again after fail_timeout (10 s): the new generation then takes its share.
        try Wait.until("the new generation answers requests", timeoutSeconds: 40, pollMilliseconds: 100) {
            try Self.requestLines(of: new) > oldGenerationLines
        }
        let made = try load.stop()

        let failures = load.failures()
        #expect(failures.isEmpty, "\(failures.count) failed requests, first: \(failures.prefix(5))")
        print(
            "zero-downtime restart: \(made) requests, \(failures.count) failed; old generation answered "
                + "\(oldGenerationLines) and exited \(String(format: "%.3f", secondsToExit)) s after SIGTERM, "
                + "the restarted one \(try Self.requestLines(of: new) - oldGenerationLines)")
    }

    @Test func replacingTheOnlyResponderThroughARenamedSocketUnderLoadFailsNoRequest() throws {
        let stack = try startStack("handoff", responderCount: 1)
        defer { stack.stop() }
        let load = try startLoad(on: stack)
        defer { _ = try? load.stop() }
        let old = stack.responders[0]
        try Wait.until("the responder answers requests") { try load.made() > 100 && Self.requestLines(of: old) > 0 }

        // The hand-over, as in the README: the new process listens on a path of its own, rename(2) puts its socket
        // at the path nginx connects to (atomically: every connect after it reaches the new process), and SIGTERM
        // lets the old one answer what it has queued and in flight, then exit 0.
        let new = try TestResponder.start(
            in: stack.directory, environment: stack.responderEnvironment, name: "fcgi1-next")
        defer { new.terminate() }
        guard rename(new.socketPath, old.socketPath) == 0 else {
            throw TestFailure("rename \(new.socketPath) to \(old.socketPath) failed: errno \(errno)")
        }
        old.sendTerminate()
        #expect(old.waitForExit() == 0)
        // With the old process gone, the renamed socket keeps answering.
        let newLinesAtExit = try Self.requestLines(of: new)
        try Wait.until("the new process answers requests after the old one exited") {
            try Self.requestLines(of: new) > newLinesAtExit + 50
        }
        let made = try load.stop()

        let failures = load.failures()
        #expect(failures.isEmpty, "\(failures.count) failed requests, first: \(failures.prefix(5))")
        print(
            "zero-downtime hand-over: \(made) requests, \(failures.count) failed; old process answered "
                + "\(try Self.requestLines(of: old)), the new one \(try Self.requestLines(of: new)) by then")
    }

    @Test func restartingTheOnlySocketActivatedResponderWithHandoverUnderLoadFailsNoRequest() throws {
        let database = try TestPostgres.shared.createDatabase("socketunit_\(UInt32.random(in: 0...UInt32.max))")
        try TestStack.migrate(databaseURL: database)
        let directory = try TestEnvironment.makeScratchDirectory("unit")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The test holds the socket as systemd's tenant-whatsapp.socket does; the responders are the service,
        // each started with the socket as standard input and `--on-stop handover`.
        let unit = try TestSocketUnit.listen(at: directory.appendingPathComponent("fcgi.sock").path)
        defer { unit.close() }
        let environment = ["DATABASE_URL": database]
        let arguments = ["--on-stop", "handover"]
        let old = try TestResponder.start(
            on: unit, in: directory, environment: environment, arguments: arguments, name: "old")
        defer { old.terminate() }
        let nginx = try TestNginx.start(
            in: directory, socketPath: unit.path,
            environment: ["TW_NGINX_RATE": "100000r/s", "TW_NGINX_BURST": "100000"])
        defer { nginx.stop() }
        // Eight clients: half on health, half on readiness (a PostgreSQL query each).
        let load = RequestLoad()
        load.start(clients: 8) { index in try nginx.send("GET", index < 4 ? "/api/health" : "/api/ready") }
        defer { _ = try? load.stop() }
        try Wait.until("the responder answers requests") { try load.made() > 100 && Self.requestLines(of: old) > 0 }

        // `systemctl restart`: SIGTERM, the old process finishes what it has in flight and exits 0 at once; what
        // nginx connects meanwhile waits in the socket's backlog for the new process.
        let signalled = Date()
        old.sendTerminate()
        try Wait.until("the old process exits under load") { !old.isRunning }
        let secondsToExit = Date().timeIntervalSince(signalled)
        #expect(old.waitForExit() == 0)
        let queuedBetween = try unit.queuedConnections()
        let new = try TestResponder.start(
            on: unit, in: directory, environment: environment, arguments: arguments, name: "new")
        defer { new.terminate() }
        try Wait.until("the new process answers requests") { try Self.requestLines(of: new) > 100 }
        let made = try load.stop()

        let failures = load.failures()
        #expect(failures.isEmpty, "\(failures.count) failed requests, first: \(failures.prefix(5))")
        print(
            "socket unit restart: \(made) requests, \(failures.count) failed; old process answered "
                + "\(try Self.requestLines(of: old)) and exited \(String(format: "%.3f", secondsToExit)) s after "
                + "SIGTERM, \(queuedBetween) connections queued when it was gone, the new one answered "
                + "\(try Self.requestLines(of: new))")
    }

    // MARK: - Helpers

    /// The stack with enough rate for eight clients calling as fast as they can from one address.
    private func startStack(_ label: String, responderCount: Int) throws -> TestWhatsAppStack {
        try TestWhatsAppStack.start(
            sim: sim, label: label, responderCount: responderCount,
            nginxEnvironment: ["TW_NGINX_RATE": "100000r/s", "TW_NGINX_BURST": "100000"])
    }

    /// Eight clients through nginx until the load is stopped: four call health, four the status of an open tenant of
    /// their own, whose every Evolution call takes 50 ms (so a responder being stopped has requests in flight).
    private func startLoad(on stack: TestWhatsAppStack) throws -> RequestLoad {
        let tenants = try (1...4).map { try openTenant(in: stack, "load\($0)") }
        try sim.inject(#"{"route":"connectionState","kind":"passthrough","delayMs":50,"times":1000000}"#)
        let load = RequestLoad()
        load.start(clients: 8) { index in
            index < 4 ? try stack.nginx.send("GET", "/api/health") : try stack.status(tenant: tenants[index - 4])
        }
        return load
    }

    /// A tenant whose open instance was made directly in the simulator and stored in the database.
    private func openTenant(in stack: TestWhatsAppStack, _ prefix: String) throws -> String {
        let id = TestWhatsAppStack.newTenantID(prefix)
        let name = TestWhatsAppStack.instanceName(of: id)
        try sim.createInstance(named: name)
        try sim.scan(instance: name)
        try stack.insertTenant(id, instanceName: name)
        return id
    }

    /// How many requests the responder's log file records (both generations write to the same file).
    private static func requestLines(of responder: TestResponder) throws -> Int {
        try responder.logLines().filter { $0["message"] as? String == "request" }.count
    }
}
