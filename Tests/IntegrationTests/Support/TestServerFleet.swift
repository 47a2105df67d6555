import Foundation

/// Several Evolution servers behind one API (issue 19): a simulator per server, each registered with the real
/// `tenant-whatsapp servers add` under a `SECRETS_KEY` made for the fleet, and a ``TestWhatsAppStack`` on that
/// database whose responders know no `EVOLUTION_API_URL`: every tenant is placed on a registered server.
///
/// The servers are `s1`, `s2`, … in the order of ``sims``; each simulator has its own API key.
final class TestServerFleet: @unchecked Sendable {
    let sims: [TestEvolutionSim]
    let stack: TestWhatsAppStack
    /// `SECRETS_KEY` of the fleet: base64 of 32 random bytes.
    let secretsKey: String
    /// Where the key files of `servers add` are written.
    let directory: URL

    private init(sims: [TestEvolutionSim], stack: TestWhatsAppStack, secretsKey: String, directory: URL) {
        self.sims = sims
        self.stack = stack
        self.secretsKey = secretsKey
        self.directory = directory
    }

    /// The server ids of a fleet of `count`: `s1`…
    static func serverIDs(_ count: Int) -> [String] { (1...count).map { "s\($0)" } }

    /// Starts `count` simulators (with `simulatorEnvironment`), registers each as `s<n>` with `capacity` on a new
    /// database, and starts the stack on it with `SECRETS_KEY` and without `EVOLUTION_API_URL`/`EVOLUTION_API_KEY`
    /// (`environment` is added, and wins).
    static func start(
        label: String, count: Int = 3, capacity: Int = 10, responderCount: Int = 1, threads: Int = 4,
        webhooks: Bool = false, environment: [String: String] = [:], simulatorEnvironment: [String: String] = [:]
    ) throws -> TestServerFleet {
        var sims: [TestEvolutionSim] = []
        let directory = try TestEnvironment.makeScratchDirectory("fleet")
        do {
            for _ in 1...count { sims.append(try TestEvolutionSim.start(environment: simulatorEnvironment)) }
            let secretsKey = newSecretsKey()
            let databaseURL = try TestPostgres.shared.createDatabase("\(label)_\(UInt32.random(in: 0...UInt32.max))")
            try TestStack.migrate(databaseURL: databaseURL)
            for (id, sim) in zip(serverIDs(count), sims) {
                let keyFile = try writeKeyFile(sim.apiKey, in: directory)
                let result = try runCLI(
                    [
                        "servers", "add", id, "--url", sim.baseURL, "--capacity", String(capacity), "--key-file",
                        keyFile,
                    ],
                    environment: cliEnvironment(databaseURL: databaseURL, secretsKey: secretsKey))
                guard result.succeeded else {
                    throw TestFailure("servers add \(id) exited \(result.status): \(result.error)")
                }
            }
            var responderEnvironment = ["SECRETS_KEY": secretsKey, "EVOLUTION_API_URL": "", "EVOLUTION_API_KEY": ""]
            responderEnvironment.merge(environment) { $1 }
            let stack = try TestWhatsAppStack.start(
                sim: sims[0], label: label, responderCount: responderCount, threads: threads, webhooks: webhooks,
                environment: responderEnvironment, database: databaseURL)
            return TestServerFleet(sims: sims, stack: stack, secretsKey: secretsKey, directory: directory)
        } catch {
            sims.forEach { $0.stop() }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Stops the stack and every simulator, and removes the key files.
    func stop() {
        stack.stop()
        sims.forEach { $0.stop() }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The simulator of server `id` (`s1` …).
    func sim(_ id: String) throws -> TestEvolutionSim {
        guard let index = Self.serverIDs(sims.count).firstIndex(of: id) else { throw TestFailure("no server \(id)") }
        return sims[index]
    }

    // MARK: - The command line

    /// A new `SECRETS_KEY`: base64 of 32 random bytes.
    static func newSecretsKey() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    /// Writes `key` (with a trailing newline, as `echo` would) to a new file in `directory`; returns its path.
    static func writeKeyFile(_ key: String, in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("key-\(UUID().uuidString.lowercased())")
        try Data((key + "\n").utf8).write(to: file)
        return file.path
    }

    /// Writes `key` to a new key file of this fleet; returns its path.
    func writeKeyFile(_ key: String) throws -> String { try Self.writeKeyFile(key, in: directory) }

    /// What the `servers` and `secrets` commands need: `DATABASE_URL`, `SECRETS_KEY` (when given), a short
    /// `EVOLUTION_TIMEOUT_MS` for the check call, and `PATH`; no JWT setting, no `EVOLUTION_API_URL`.
    static func cliEnvironment(databaseURL: String, secretsKey: String?) -> [String: String] {
        var environment = [
            "DATABASE_URL": databaseURL, "EVOLUTION_TIMEOUT_MS": "1500",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        environment["SECRETS_KEY"] = secretsKey
        return environment
    }

    /// Runs `tenant-whatsapp <arguments>` with `environment`, `input` on standard input.
    static func runCLI(
        _ arguments: [String], environment: [String: String], input: String? = nil
    ) throws
        -> CommandResult
    {
        try Subprocess.run([TestEnvironment.responderBinary] + arguments, environment: environment, input: input)
    }

    /// Runs `tenant-whatsapp <arguments>` against this fleet's database with its `SECRETS_KEY`; `environment` is
    /// added (and wins).
    func cli(
        _ arguments: String..., environment extra: [String: String] = [:], input: String? = nil
    ) throws
        -> CommandResult
    {
        let environment = Self.cliEnvironment(databaseURL: stack.databaseURL, secretsKey: secretsKey)
            .merging(extra) { $1 }
        return try Self.runCLI(arguments, environment: environment, input: input)
    }

    /// `servers list --json` as JSON objects; fails unless it exits 0.
    func serversList() throws -> [[String: Any]] {
        let result = try cli("servers", "list", "--json")
        guard result.succeeded,
            let rows = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]]
        else { throw TestFailure("servers list --json exited \(result.status): \(result.output)\(result.error)") }
        return rows
    }

    /// Runs `tenant-whatsapp reconcile <arguments>` with the responders' environment; returns its result.
    func reconcile(_ arguments: String...) throws -> CommandResult {
        var environment = stack.responderEnvironment
        environment["JWT_SECRET"] = TestTokens.secret
        environment["LOG_FILE"] = stack.directory.appendingPathComponent("reconcile.log").path
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        return try Subprocess.run([TestEnvironment.responderBinary, "reconcile"] + arguments, environment: environment)
    }

    // MARK: - Where tenants are

    /// How many tenants PostgreSQL places on each server (`tenants.evolution_server_id`).
    func placedCounts() throws -> [String: Int] {
        let text = try stack.psql(
            """
            SELECT coalesce(json_object_agg(evolution_server_id, n), '{}')::text FROM (
                SELECT evolution_server_id, count(*) AS n FROM tenants
                WHERE evolution_server_id IS NOT NULL GROUP BY evolution_server_id
            ) c
            """)
        guard let counts = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Int] else {
            throw TestFailure("placed counts are not a JSON object: \(text)")
        }
        return counts
    }

    /// The server tenant `id` is placed on, or nil.
    func server(of id: String) throws -> String? {
        let text = try stack.psql("SELECT evolution_server_id FROM tenants WHERE id = \(TestWhatsAppStack.literal(id))")
        return text.isEmpty ? nil : text
    }

    /// The tenant instances (`tenant_…`) the simulator of server `id` holds.
    func tenantInstances(on id: String) throws -> Set<String> {
        Set(try sim(id).instanceNames().filter { $0.hasPrefix("tenant_") })
    }

    /// Waits until every responder reports server `id` in `state` on `/api/ready` (the responders read the registry
    /// at most once a second; nginx spreads the probes over them).
    func awaitServer(_ id: String, state: String) throws {
        var confirmations = 0
        try Wait.until("the responders see server \(id) \(state)", timeoutSeconds: 10) {
            let response = try stack.nginx.send("GET", "/api/ready")
            let servers = try response.jsonObject()["servers"] as? [[String: Any]] ?? []
            let seen = servers.first { $0["id"] as? String == id }?["state"] as? String == state
            confirmations = seen ? confirmations + 1 : 0
            return confirmations >= 2 * stack.responders.count
        }
    }

    /// Inserts `count` new tenants named with `prefix`; returns their ids.
    func insertTenants(_ count: Int, prefix: String) throws -> [String] {
        let ids = (0..<count).map { _ in TestWhatsAppStack.newTenantID(prefix) }
        if !ids.isEmpty {
            try stack.psql(
                "INSERT INTO tenants (id) VALUES "
                    + ids.map { "(\(TestWhatsAppStack.literal($0)))" }.joined(separator: ","))
        }
        return ids
    }
}
