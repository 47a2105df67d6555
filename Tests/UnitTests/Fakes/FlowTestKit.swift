import HTTPServer
import JSON
import Logging
import Postgres
import Resilience
import Runtime
import Testing

@testable import TenantWhatsApp

/// The WhatsApp routes wired to in-memory fakes of every seam, and requests to them with valid tokens.
///
/// Requests go through ``Application`` as `serve` runs it (router, handler, error envelope); only the seams differ.
/// Every request of one kit starts at the same instant, so the deadline each upstream call gets is exact.
struct FlowTestKit {
    /// The tenant of the tests, and its instance name.
    static let tenant = TenantID("t1")!
    static let instance = "tenant_t1"
    static let requestID = "req-1"

    let audit = FakeAuditRecorder()
    let tenants: FakeTenantRepository
    let lock = FakeOperationLock()
    let clock = ManualFlowClock()
    let evolution: FakeEvolution
    /// The Evolution servers: `default`, whose upstream is ``evolution``, unless a test adds others.
    let servers: FakeEvolutionServers
    let tenantLimiter: KeyedLimiter<TenantID>
    let statusChecks: SingleFlight<TenantID, Result<StatusCheck, APIError>>
    /// By default a QR wait of 2 s (four polls 500 ms apart) and upstream calls of 1 s: an operation budget of 5 s;
    /// webhooks off.
    let settings: FlowSettings
    /// When every request of this kit arrived.
    let startedAt = ContinuousClock.now
    /// The seams as the routes get them.
    let dependencies: WhatsAppDependencies
    let application: Application

    /// How many status checks joined another's flight.
    let statusJoins = ConditionLock(0)

    /// The process's bulkhead of Evolution-bound requests (`EVOLUTION_MAX_IN_FLIGHT`).
    let admission: Bulkhead

    /// A kit whose tenant limiter allows `limit` requests per tenant, whose process admits `admission`
    /// Evolution-bound requests at once, and whose readiness check is `checkDatabase`.
    init(
        limit: Int = 4, admission: Int = 64,
        settings: FlowSettings = FlowSettings(qrWait: .seconds(2), upstreamTimeout: .seconds(1)),
        checkDatabase: @escaping @Sendable () throws(PostgresError) -> Void = {}
    ) throws {
        self.settings = settings
        tenants = FakeTenantRepository(audit: audit)
        let clock = self.clock
        let joins = statusJoins
        evolution = FakeEvolution(stamp: { clock.elapsed })
        servers = FakeEvolutionServers(evolution)
        tenantLimiter = KeyedLimiter(limit: limit)
        statusChecks = SingleFlight(onJoin: { _ in joins.withLockNotifying { $0 += 1 } })
        let authentication = try AuthenticationSettings.load(from: ["JWT_SECRET": ConfigurationTests.secret])
        self.admission = Bulkhead(limit: admission)
        var dependencies = WhatsAppDependencies(
            authorizer: TenantAuthorizer(authenticator: Authenticator(settings: authentication)),
            tenants: tenants, lock: lock, servers: servers, audit: audit, tenantLimiter: tenantLimiter,
            statusChecks: statusChecks, settings: settings, clock: clock.flowClock,
            logger: Logger(label: "flow-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
        dependencies.evolutionAdmission = self.admission
        self.dependencies = dependencies
        application = Application(router: Application.router(whatsApp: dependencies, checkDatabase: checkDatabase))
    }

    /// The deadline of every upstream call of a connect or disconnect.
    var operationDeadline: ContinuousClock.Instant { startedAt + settings.operationBudget }
    /// The deadline of every upstream call of a status check.
    var statusDeadline: ContinuousClock.Instant { startedAt + settings.statusBudget }

    /// `POST …/connect` for `tenant`, with `body` of `contentType` when given.
    func connect(
        tenant: String = "t1", token: String? = TestToken.make(), body: String = "", contentType: String? = nil
    ) -> RouteAnswer {
        send(.post, "/api/tenants/\(tenant)/whatsapp/connect", token: token, body: body, contentType: contentType)
    }

    /// `GET …/status` for `tenant`, arrived at `startedAt` (nil: with every other request of the kit).
    func status(
        tenant: String = "t1", token: String? = TestToken.make(), startedAt: ContinuousClock.Instant? = nil
    ) -> RouteAnswer {
        send(.get, "/api/tenants/\(tenant)/whatsapp/status", token: token, startedAt: startedAt)
    }

    /// `DELETE …/disconnect` for `tenant`.
    func disconnect(tenant: String = "t1", token: String? = TestToken.make()) -> RouteAnswer {
        send(.delete, "/api/tenants/\(tenant)/whatsapp/disconnect", token: token)
    }

    /// Any request, with `token` as its bearer token (nil: no `Authorization` header), arrived at `startedAt` (nil:
    /// with every other request of the kit).
    func send(
        _ method: HTTPMethod, _ path: String, token: String? = TestToken.make(), body: String = "",
        contentType: String? = nil, startedAt: ContinuousClock.Instant? = nil
    ) -> RouteAnswer {
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        let request = HTTPRequest(
            method: method, path: path, headers: headers, body: Array(body.utf8), requestID: Self.requestID)
        let context = RequestContext(requestID: Self.requestID, startedAt: startedAt ?? self.startedAt)
        return RouteAnswer(application.respond(to: request, context: context))
    }

    /// Whether no seam was touched: no row read or written, no lock, no Evolution call, no audit row.
    var touchedNothing: Bool {
        tenants.calls.isEmpty && lock.attempts.isEmpty && evolution.calls.isEmpty && audit.entries.isEmpty
    }
}

extension FlowTestKit: CustomTestStringConvertible {
    /// What the seams saw, for a failed expectation's message.
    var testDescription: String {
        "repository \(tenants.calls), lock attempts \(lock.attempts.count) granted \(lock.granted.count) released "
            + "\(lock.releases.count), evolution \(evolution.calls), audit \(audit.rows)"
    }
}
