import Foundation
import Testing

/// The product as the WhatsApp routes need it: a migrated database of its own on the shared PostgreSQL, one or more
/// responder processes (each under spawn-fcgi on its own socket) talking to an `evolution-sim`, and one nginx whose
/// upstream lists every responder socket.
///
/// Rate limits are lifted (``nginxEnvironment``) so that they never decide a test. The responders get short
/// upstream deadlines (``timeoutMilliseconds``, ``qrWaitMilliseconds``) unless a test overrides them.
final class TestWhatsAppStack: @unchecked Sendable {
    /// `EVOLUTION_TIMEOUT_MS` of every responder unless overridden: the deadline of one upstream call.
    static let timeoutMilliseconds = 1500
    /// `EVOLUTION_QR_WAIT_MS` unless overridden: how long connect polls for a QR code.
    static let qrWaitMilliseconds = 4000

    /// `EVOLUTION_WEBHOOK_SECRET` of a stack started with webhooks.
    static let webhookSecret = "webhook-secret-for-tests-0123456789abcdef"

    /// Rate limits lifted: a high rate, and a burst above any test's concurrency (nginx counts requests arriving
    /// in the same millisecond against the burst, whatever the rate).
    static let nginxEnvironment = ["TW_NGINX_RATE": "1000r/s", "TW_NGINX_BURST": "1000"]

    let sim: TestEvolutionSim
    let directory: URL
    let databaseURL: String
    /// The database's name on ``TestPostgres/shared``.
    let databaseName: String
    /// What each responder was started with (to start another one like it).
    let responderEnvironment: [String: String]
    let responders: [TestResponder]
    let nginx: TestNginx

    private init(
        sim: TestEvolutionSim, directory: URL, databaseURL: String, databaseName: String,
        responderEnvironment: [String: String], responders: [TestResponder], nginx: TestNginx
    ) {
        self.sim = sim
        self.directory = directory
        self.databaseURL = databaseURL
        self.databaseName = databaseName
        self.responderEnvironment = responderEnvironment
        self.responders = responders
        self.nginx = nginx
    }

    /// Creates and migrates a new database named after `label`, starts `responderCount` responders (`threads` each)
    /// pointed at `sim` with its key, and one nginx in front of all of them.
    ///
    /// `environment` is added to each responder's (and wins): `EVOLUTION_API_URL` at a closed port, a wrong
    /// `EVOLUTION_API_KEY`, another `EVOLUTION_TIMEOUT_MS`… `nginxEnvironment` is added to ``nginxEnvironment``
    /// (and wins) when nginx is rendered: `TW_NGINX_RATE` and the like for heavier load.
    ///
    /// `database` is the URL of an existing database on ``TestPostgres/shared`` to migrate and use instead of a new
    /// one: a database prepared before the responders start (Evolution servers registered, an older schema).
    static func start(
        sim: TestEvolutionSim, label: String, responderCount: Int = 1, threads: Int = 4, maxRequests: Int? = nil,
        webhooks: Bool = false, events: Bool = false, environment: [String: String] = [:],
        nginxEnvironment extraNginx: [String: String] = [:],
        database: String? = nil
    ) throws -> TestWhatsAppStack {
        let databaseURL =
            try database ?? TestPostgres.shared.createDatabase("\(label)_\(UInt32.random(in: 0...UInt32.max))")
        let databaseName = try Self.databaseName(in: databaseURL)
        try TestStack.migrate(databaseURL: databaseURL)
        let directory = try TestEnvironment.makeScratchDirectory("wa")
        var responderEnvironment = [
            "DATABASE_URL": databaseURL, "EVOLUTION_API_URL": sim.baseURL, "EVOLUTION_API_KEY": sim.apiKey,
            "EVOLUTION_TIMEOUT_MS": String(timeoutMilliseconds), "EVOLUTION_QR_WAIT_MS": String(qrWaitMilliseconds),
        ]
        // With webhooks, Evolution (the simulator) delivers to this stack's nginx: its port is chosen up front.
        let nginxPort = try TestEnvironment.freeLoopbackPort()
        if webhooks {
            responderEnvironment["EVOLUTION_WEBHOOK_URL"] = "http://127.0.0.1:\(nginxPort)/api/evolution/webhook"
            responderEnvironment["EVOLUTION_WEBHOOK_SECRET"] = webhookSecret
        }
        // With events, nginx's nchan publisher socket (rendered into the scratch folder) is where responders publish.
        var nginxEnvironment = Self.nginxEnvironment
        if events {
            let publishSocket = directory.appendingPathComponent("nchan-publish.sock").path
            responderEnvironment["NCHAN_PUBLISH_SOCKET"] = publishSocket
            nginxEnvironment["TW_NGINX_PUBLISH_SOCKET"] = publishSocket
        }
        responderEnvironment.merge(environment) { $1 }
        var responders: [TestResponder] = []
        do {
            for index in 1...max(1, responderCount) {
                responders.append(
                    try TestResponder.start(
                        in: directory, environment: responderEnvironment, threads: threads, maxRequests: maxRequests,
                        name: "fcgi\(index)"))
            }
            let nginx = try TestNginx.start(
                in: directory, socketPaths: responders.map(\.socketPath),
                environment: nginxEnvironment.merging(extraNginx) { $1 }, port: nginxPort)
            return TestWhatsAppStack(
                sim: sim, directory: directory, databaseURL: databaseURL, databaseName: databaseName,
                responderEnvironment: responderEnvironment, responders: responders, nginx: nginx)
        } catch {
            responders.forEach { $0.terminate() }
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private static func databaseName(in url: String) throws -> String {
        guard let name = url.split(separator: "?").first?.split(separator: "/").last.map(String.init) else {
            throw TestFailure("no database name in \(url)")
        }
        return name
    }

    /// Stops nginx and every responder and removes the scratch folder (the simulator belongs to the caller).
    func stop() {
        nginx.stop()
        responders.forEach { $0.terminate() }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Tenants and tokens

    /// A tenant id no other test uses: `prefix` and random hex, within the 64 characters the routes accept.
    static func newTenantID(_ prefix: String = "t") -> String {
        "\(prefix.prefix(40))-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    /// The instance name the service gives `tenant`'s instance.
    static func instanceName(of tenant: String) -> String { "tenant_\(tenant)" }

    /// A valid bearer token whose tenant claim is `tenant`.
    static func token(for tenant: String) -> String {
        TestTokens.token(payload: TestTokens.claims(tenantID: tenant))
    }

    /// Creates tenant `id` as the SaaS does (`INSERT INTO tenants (id)`), with an instance name when given.
    func insertTenant(_ id: String, instanceName: String? = nil) throws {
        if let instanceName {
            try psql(
                "INSERT INTO tenants (id, whatsapp_instance_name) VALUES (\(Self.literal(id)), \(Self.literal(instanceName)))"
            )
        } else {
            try psql("INSERT INTO tenants (id) VALUES (\(Self.literal(id)))")
        }
    }

    // MARK: - Requests through nginx

    /// `POST /api/tenants/{tenant}/whatsapp/connect` with `token` (default: a valid one for `tenant`) and no body,
    /// or `json` with `Content-Type: application/json`.
    func connect(tenant: String, token: String? = nil, json: String? = nil) throws -> TestHTTPResponse {
        var headers = [("Authorization", "Bearer \(token ?? Self.token(for: tenant))")]
        if json != nil { headers.append(("Content-Type", "application/json")) }
        return try nginx.send(
            "POST", "/api/tenants/\(tenant)/whatsapp/connect", headers: headers, body: json.map { Data($0.utf8) })
    }

    /// `GET /api/tenants/{tenant}/whatsapp/status`.
    func status(tenant: String, token: String? = nil) throws -> TestHTTPResponse {
        try nginx.send(
            "GET", "/api/tenants/\(tenant)/whatsapp/status",
            headers: [("Authorization", "Bearer \(token ?? Self.token(for: tenant))")])
    }

    /// `DELETE /api/tenants/{tenant}/whatsapp/disconnect`.
    func disconnect(tenant: String, token: String? = nil) throws -> TestHTTPResponse {
        try nginx.send(
            "DELETE", "/api/tenants/\(tenant)/whatsapp/disconnect",
            headers: [("Authorization", "Bearer \(token ?? Self.token(for: tenant))")])
    }

    /// `POST /api/tenants/{tenant}/whatsapp/events/ticket`.
    func eventsTicketResponse(tenant: String, token: String? = nil) throws -> TestHTTPResponse {
        try nginx.send(
            "POST", "/api/tenants/\(tenant)/whatsapp/events/ticket",
            headers: [("Authorization", "Bearer \(token ?? Self.token(for: tenant))")])
    }

    /// A new events ticket of `tenant`; throws unless it was issued (201).
    func eventsTicket(tenant: String) throws -> String {
        let response = try eventsTicketResponse(tenant: tenant)
        guard response.status == 201, let ticket = try response.jsonObject()["ticket"] as? String else {
            throw TestFailure("no ticket for \(tenant): \(response.status) \(response.text)")
        }
        return ticket
    }

    /// `GET /api/tenants/{tenant}/whatsapp/events?ticket=…` as an EventSource opens it (no ticket: without the query).
    func subscribe(
        tenant: String, ticket: String?, accept: String? = "text/event-stream", lastEventID: String? = nil,
        from sourceAddress: String? = nil
    ) throws -> TestEventStream {
        try TestEventStream(
            port: nginx.port, path: "/api/tenants/\(tenant)/whatsapp/events" + (ticket.map { "?ticket=\($0)" } ?? ""),
            accept: accept, lastEventID: lastEventID, from: sourceAddress)
    }

    /// Sends one of the three routes by name (`connect`, `status`, `disconnect`).
    func send(route: WhatsAppRoute, tenant: String, token: String? = nil) throws -> TestHTTPResponse {
        switch route {
        case .connect: try connect(tenant: tenant, token: token)
        case .status: try status(tenant: tenant, token: token)
        case .disconnect: try disconnect(tenant: tenant, token: token)
        }
    }

    // MARK: - The database

    /// Runs `sql` on this stack's database with psql; throws on any error.
    @discardableResult
    func psql(_ sql: String) throws -> String {
        try TestPostgres.shared.psql(sql, database: databaseName)
    }

    /// Runs `sql` and returns psql's result: a test that expects PostgreSQL to refuse reads `error`.
    func psqlResult(_ sql: String) throws -> CommandResult {
        try Subprocess.run(
            [
                try TestPostgres.program("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", databaseURL, "-f",
                "-",
            ], input: sql)
    }

    /// Tenant `id`'s row as PostgreSQL's `row_to_json` text (every column), or nil when there is none: compare two
    /// of these to prove that a request left the row unchanged.
    func tenantRowText(_ id: String) throws -> String? {
        let text = try psql("SELECT row_to_json(t)::text FROM tenants t WHERE id = \(Self.literal(id))")
        return text.isEmpty ? nil : text
    }

    /// Tenant `id`'s row as a JSON object (timestamps as text, NULL as `NSNull`), or nil when there is none.
    func tenantRow(_ id: String) throws -> [String: Any]? {
        guard let text = try tenantRowText(id) else { return nil }
        return try Self.jsonObject(text)
    }

    /// The instance name stored for tenant `id` (nil when NULL or no row).
    func storedInstanceName(of id: String) throws -> String? {
        try tenantRow(id)?["whatsapp_instance_name"] as? String
    }

    /// Tenant `tenant`'s audit rows in the order they were written.
    func auditRows(tenant: String) throws -> [[String: Any]] {
        let text = try psql(
            """
            SELECT coalesce(json_agg(a ORDER BY a.id), '[]')::text FROM whatsapp_audit a
            WHERE a.tenant_id = \(Self.literal(tenant))
            """)
        guard let rows = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw TestFailure("audit rows are not a JSON array: \(text)")
        }
        return rows
    }

    /// `text` as a SQL string literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    private static func jsonObject(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(text)")
        }
        return object
    }

    // MARK: - Logs

    /// Waits until a responder has logged the request with id `requestID` and returns that line.
    func responderLogLine(requestID: String) throws -> [String: Any] {
        var found: [String: Any]?
        try Wait.until("a responder logs request \(requestID)") {
            for responder in responders {
                if let line = try responder.logLines().first(where: { $0["requestId"] as? String == requestID }) {
                    found = line
                    return true
                }
            }
            return false
        }
        guard let found else { throw TestFailure("no log line for \(requestID)") }
        return found
    }

    /// Everything the responders and nginx wrote: each responder's log file and standard error, nginx's access and
    /// error logs.
    func allLogText() -> String {
        var texts = responders.flatMap {
            [(try? String(contentsOf: $0.logFile, encoding: .utf8)) ?? "", $0.standardError()]
        }
        for name in ["access.log", "error.log"] {
            texts.append((try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? "")
        }
        return texts.joined(separator: "\n")
    }
}

/// The three tenant WhatsApp routes, for tests that run each.
enum WhatsAppRoute: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case connect
    case status
    case disconnect

    var testDescription: String { rawValue }
}
