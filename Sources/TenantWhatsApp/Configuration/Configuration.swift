import HTTPServer
import Logging
import Runtime
import Secrets
import StructuredLogging

/// The responder's settings, read from environment variables (names fixed by the contract).
public struct Configuration: Sendable {
    /// `DATABASE_URL`: a libpq connection string or URI. May hold a password: never log it.
    public var databaseURL: String
    /// `JWT_*`: the bearer-token key and rules, and the tenant claim (see ``AuthenticationSettings``).
    public var authentication: AuthenticationSettings
    /// `EVOLUTION_API_URL`, `EVOLUTION_API_KEY`: the implicit Evolution server `default`; nil when neither is set
    /// (the registered servers only, see docs/servers.md).
    public var evolution: EvolutionConfiguration?
    /// `EVOLUTION_TIMEOUT_MS`: the deadline of one upstream call, on every server (default 10000).
    public var evolutionTimeoutMilliseconds = EvolutionConfiguration.defaultTimeoutMilliseconds
    /// `SECRETS_KEY` and `SECRETS_KEY_PREVIOUS`: seals the secrets PostgreSQL stores (Evolution servers' keys and
    /// webhook secrets); nil when `SECRETS_KEY` is not set.
    public var secrets: SecretBox?
    /// `EVOLUTION_MAX_IN_FLIGHT`: Evolution-bound requests admitted at once in this process; nil: three quarters of
    /// `--max-requests` (see ``maximumEvolutionInFlight(maxRequests:)``).
    public var maxEvolutionInFlight: Int?
    /// `EVOLUTION_MAX_IN_FLIGHT_PER_SERVER`: calls in flight to one Evolution server from this process; nil: a quarter
    /// of `--max-requests` while several servers are known (see ``defaultMaximumInFlightPerServer(maxRequests:)``).
    public var maxInFlightPerServer: Int?
    /// `EVOLUTION_QR_WAIT_MS`: how long connect keeps asking Evolution for a QR code that is not there yet
    /// (default 20000; 0 asks once).
    public var qrWaitMilliseconds: Int
    /// `LOG_LEVEL`: `debug`, `info` (default), `warning` or `error`.
    public var logLevel: Logger.Level
    /// `LOG_FILE`: append log lines here instead of standard error.
    public var logFile: String?
    /// How long one SQL statement may run before PostgreSQL cancels it, in milliseconds.
    public var statementTimeoutMilliseconds: Int = 5000
    /// `DATABASE_LOCK_TIMEOUT_MS`: how long one statement may wait for a lock someone else holds (default 50; 0:
    /// as long as the statement timeout allows). A few locked rows must never hold the pool's connections: they would
    /// starve every other tenant and `/api/ready`.
    public var lockTimeoutMilliseconds: Int = 50

    /// The settings of every pooled PostgreSQL session: the statement and lock timeouts, and with
    /// `EVENTS_WEBHOOK_URL` the switch that makes each change of a tenant's connection write its event to the outbox
    /// (sql/migrations/0013_event_outbox.sql).
    public var sessionSettings: [String] {
        [
            "SET statement_timeout = \(statementTimeoutMilliseconds)",
            "SET lock_timeout = \(lockTimeoutMilliseconds)",
        ] + (eventWebhook == nil ? [] : ["SET tenant_whatsapp.events = 'on'"])
    }
    /// `DATABASE_POOL_SIZE`: the most PostgreSQL connections the process opens (default 8).
    public var databasePoolSize = 8
    /// `DATABASE_POOL_TIMEOUT_MS`: the longest wait for a pooled connection before 503 (default 2000).
    public var databasePoolTimeoutMilliseconds = 2000
    /// `EVOLUTION_MAX_PER_TENANT`: Evolution-bound requests of one tenant in flight in this process (default 4).
    public var maxEvolutionRequestsPerTenant = 4
    /// `EVOLUTION_BREAKER_FAILURES`: consecutive upstream failures that open the circuit breaker (default 5).
    public var breakerFailures = 5
    /// `EVOLUTION_BREAKER_COOLDOWN_MS`: how long the open breaker refuses calls before one probe (default 5000).
    public var breakerCooldownMilliseconds = 5000
    /// `EVOLUTION_WEBHOOK_URL` and `EVOLUTION_WEBHOOK_SECRET`: Evolution pushes events to us; nil: polling only.
    public var webhook: WebhookSettings?
    /// `STATUS_MAX_AGE_MS`: status answers from the recorded state while it is younger than this; 0 always asks
    /// Evolution. Default 5000 with webhooks (pushes keep the row current), 0 without (today's polling).
    public var statusMaxAgeMilliseconds = 0
    /// `STATUS_CLOSE_GRACE_MS`: how long a `close` seen only by polling must last before status records it as
    /// `connection_lost` (default 30000); a shorter one is the restart after a scan (docs/api.md).
    public var closeGraceMilliseconds = Configuration.defaultCloseGraceMilliseconds
    /// The default of `STATUS_CLOSE_GRACE_MS`: 30 s.
    public static let defaultCloseGraceMilliseconds = 30_000
    /// `NCHAN_PUBLISH_SOCKET`: the unix socket of nchan's publisher location (docs/events.md), where every change of
    /// a tenant's state is published for the event stream; nil: nothing is published.
    public var nchanPublishSocket: String?
    /// `EVENTS_WEBHOOK_URL` and the variables that go with it: the SaaS backend's endpoint for the tenants' connection
    /// events (docs/event-webhooks.md); nil: no events are written or delivered.
    public var eventWebhook: EventWebhookSettings?

    /// A configuration from its parts.
    public init(
        databaseURL: String, authentication: AuthenticationSettings, evolution: EvolutionConfiguration?,
        qrWaitMilliseconds: Int = Configuration.defaultQRWaitMilliseconds, logLevel: Logger.Level = .info,
        logFile: String? = nil
    ) {
        self.databaseURL = databaseURL
        self.authentication = authentication
        self.evolution = evolution
        self.qrWaitMilliseconds = qrWaitMilliseconds
        self.logLevel = logLevel
        self.logFile = logFile
    }

    /// Reads the configuration from `environment`; the error names the first variable at fault.
    public static func load(from environment: [String: String]) throws(ConfigurationError) -> Configuration {
        guard let databaseURL = environment["DATABASE_URL"], !databaseURL.isEmpty else {
            throw ConfigurationError(variable: "DATABASE_URL", problem: "is not set")
        }
        let logLevel = try Logger.Level.fromEnvironment(environment)
        let logFile = environment["LOG_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let authentication = try AuthenticationSettings.load(from: environment)
        let evolution = try EvolutionConfiguration.load(from: environment)
        let qrWait = try Self.qrWaitMilliseconds(from: environment["EVOLUTION_QR_WAIT_MS"])
        var configuration = Configuration(
            databaseURL: databaseURL, authentication: authentication, evolution: evolution,
            qrWaitMilliseconds: qrWait, logLevel: logLevel, logFile: logFile)
        configuration.evolutionTimeoutMilliseconds = try EvolutionConfiguration.timeout(
            from: environment["EVOLUTION_TIMEOUT_MS"])
        configuration.secrets = try secretsFromEnvironment(environment)
        if let value = environment["EVOLUTION_MAX_IN_FLIGHT"], !value.isEmpty {
            configuration.maxEvolutionInFlight = try integer(
                "EVOLUTION_MAX_IN_FLIGHT", in: environment, default: 1, 1...4096)
        }
        if let value = environment["EVOLUTION_MAX_IN_FLIGHT_PER_SERVER"], !value.isEmpty {
            configuration.maxInFlightPerServer = try integer(
                "EVOLUTION_MAX_IN_FLIGHT_PER_SERVER", in: environment, default: 1, 1...4096)
        }
        configuration.databasePoolSize = try integer("DATABASE_POOL_SIZE", in: environment, default: 8, 1...1000)
        configuration.lockTimeoutMilliseconds = try integer(
            "DATABASE_LOCK_TIMEOUT_MS", in: environment, default: 50, 0...60_000)
        configuration.databasePoolTimeoutMilliseconds = try integer(
            "DATABASE_POOL_TIMEOUT_MS", in: environment, default: 2000, 1...60_000)
        configuration.maxEvolutionRequestsPerTenant = try integer(
            "EVOLUTION_MAX_PER_TENANT", in: environment, default: 4, 1...1000)
        configuration.breakerFailures = try integer(
            "EVOLUTION_BREAKER_FAILURES", in: environment, default: 5, 1...1000)
        configuration.breakerCooldownMilliseconds = try integer(
            "EVOLUTION_BREAKER_COOLDOWN_MS", in: environment, default: 5000, 100...600_000)
        configuration.webhook = try WebhookSettings.load(from: environment)
        configuration.statusMaxAgeMilliseconds = try integer(
            "STATUS_MAX_AGE_MS", in: environment, default: configuration.webhook == nil ? 0 : 5000, 0...600_000)
        configuration.closeGraceMilliseconds = try integer(
            "STATUS_CLOSE_GRACE_MS", in: environment, default: defaultCloseGraceMilliseconds, 0...3_600_000)
        configuration.nchanPublishSocket = try publishSocket(from: environment["NCHAN_PUBLISH_SOCKET"])
        configuration.eventWebhook = try EventWebhookSettings.load(from: environment)
        return configuration
    }

    /// `NCHAN_PUBLISH_SOCKET`: nil when unset or empty; an absolute path of at most 107 bytes (a unix socket
    /// address's limit) otherwise.
    private static func publishSocket(from value: String?) throws(ConfigurationError) -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard value.hasPrefix("/"), value.utf8.count <= 107, !value.utf8.contains(where: { $0 < 0x20 }) else {
            throw ConfigurationError(
                variable: "NCHAN_PUBLISH_SOCKET", problem: "must be an absolute path of at most 107 bytes")
        }
        return value
    }

    /// The whole number in `variable`, or `fallback` when it is unset or empty; anything else outside `range` is
    /// refused, naming the variable.
    private static func integer(
        _ variable: String, in environment: [String: String], default fallback: Int, _ range: ClosedRange<Int>
    ) throws(ConfigurationError) -> Int {
        guard let value = environment[variable], !value.isEmpty else { return fallback }
        guard value.utf8.count <= 9, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(value),
            range.contains(number)
        else {
            throw ConfigurationError(
                variable: variable,
                problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// `EVOLUTION_MAX_IN_FLIGHT`, or three quarters of `maxRequests` (at least 1): the rest of the workers always
    /// serve health, readiness and answers from PostgreSQL.
    public func maximumEvolutionInFlight(maxRequests: Int) -> Int {
        maxEvolutionInFlight ?? max(1, maxRequests * 3 / 4)
    }

    /// Refuses an `EVOLUTION_MAX_IN_FLIGHT` above `--max-requests` (equal keeps no worker in reserve for health: a
    /// choice for special set-ups, not the default).
    public func validateAdmission(maxRequests: Int) throws(ConfigurationError) {
        guard let maxEvolutionInFlight else { return }
        guard maxEvolutionInFlight <= maxRequests else {
            throw ConfigurationError(
                variable: "EVOLUTION_MAX_IN_FLIGHT", problem: "must not be above --max-requests (\(maxRequests))")
        }
    }

    /// The default of `EVOLUTION_MAX_IN_FLIGHT_PER_SERVER` while several Evolution servers are known: a quarter of
    /// `maxRequests` (at least 1), so that one hung server can never hold more than that many of the process's
    /// workers. With one server there is no cap unless the variable is set.
    public static func defaultMaximumInFlightPerServer(maxRequests: Int) -> Int {
        max(1, maxRequests / 4)
    }

    /// `EVOLUTION_TIMEOUT_MS`, or its default.
    public static func evolutionTimeoutFromEnvironment(
        _ environment: [String: String]
    ) throws(ConfigurationError) -> Int {
        try EvolutionConfiguration.timeout(from: environment["EVOLUTION_TIMEOUT_MS"])
    }

    /// `SECRETS_KEY` (and `SECRETS_KEY_PREVIOUS`) as a box; nil without `SECRETS_KEY`.
    public static func secretsFromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> SecretBox?
    {
        func key(_ variable: String) throws(ConfigurationError) -> SecretsKey? {
            guard let value = environment[variable], !value.isEmpty else { return nil }
            do {
                return try SecretsKey(base64: value)
            } catch {
                throw ConfigurationError(variable: variable, problem: "must be 32 random bytes in base64")
            }
        }
        let current = try key("SECRETS_KEY")
        let previous = try key("SECRETS_KEY_PREVIOUS")
        guard let current else {
            if previous != nil {
                throw ConfigurationError(variable: "SECRETS_KEY", problem: "is not set, but SECRETS_KEY_PREVIOUS is")
            }
            return nil
        }
        return SecretBox(current: current, previous: previous)
    }

    /// The default of `EVOLUTION_QR_WAIT_MS`: with Evolution's own timeouts it keeps connect under nginx's 60 s.
    public static let defaultQRWaitMilliseconds = 20_000

    private static func qrWaitMilliseconds(from value: String?) throws(ConfigurationError) -> Int {
        guard let value, !value.isEmpty else { return defaultQRWaitMilliseconds }
        guard let milliseconds = Int(value), (0...30_000).contains(milliseconds) else {
            throw ConfigurationError(variable: "EVOLUTION_QR_WAIT_MS", problem: "must be a number from 0 to 30000")
        }
        return milliseconds
    }
}
