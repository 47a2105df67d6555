import Logging
import Postgres
import Prometheus
import Resilience

extension Application {
    /// The application as `serve` runs it: one PostgreSQL pool, the Evolution servers (each with its clients, circuit
    /// breaker and in-flight cap of at most a quarter of `maxRequests` unless configured), and the per-tenant limits,
    /// all shared by every worker thread of the process.
    ///
    /// Throws when the Evolution servers cannot be loaded (PostgreSQL unreachable, a stored secret that `SECRETS_KEY`
    /// does not open, no server at all): `serve` refuses to start with that one line.
    ///
    /// `metricsRegistry` is the registry `MetricsSystem` was bootstrapped with (before this init, so that the metrics
    /// made here record into it); `GET /api/metrics` writes it. Without one (unit tests) that route is a 404 and every
    /// metric is swift-metrics' no-op.
    public convenience init(
        configuration: Configuration, maxRequests: Int = 256, logger: Logger,
        metricsRegistry: PrometheusCollectorRegistry? = nil
    ) throws(EvolutionServerDirectoryError) {
        let poolMetrics = DatabasePoolMetrics()
        let pool = PostgresPool(
            connectionString: configuration.databaseURL, size: configuration.databasePoolSize,
            borrowTimeout: .milliseconds(configuration.databasePoolTimeoutMilliseconds),
            sessionSettings: configuration.sessionSettings,
            onBorrowWait: { waited, timedOut in poolMetrics.recordBorrow(waited: waited, timedOut: timedOut) })
        var serverSettings = EvolutionServerSettings()
        serverSettings.timeoutMilliseconds = configuration.evolutionTimeoutMilliseconds
        serverSettings.breakerFailures = configuration.breakerFailures
        serverSettings.breakerCooldown = .milliseconds(configuration.breakerCooldownMilliseconds)
        serverSettings.maximumInFlightPerServer = configuration.maxInFlightPerServer
        serverSettings.defaultMaximumInFlightPerServer = Configuration.defaultMaximumInFlightPerServer(
            maxRequests: maxRequests)
        serverSettings.webhook = configuration.webhook
        // Read at start on a connection of its own, closed again: the pool connects lazily, at the first request that
        // needs PostgreSQL (a refused request opens no session).
        let startup = PostgresPool(
            connectionString: configuration.databaseURL, size: 1,
            borrowTimeout: .milliseconds(configuration.databasePoolTimeoutMilliseconds))
        let servers = try EvolutionServerDirectory(
            registry: EvolutionServerRegistry(pool: pool), startupRegistry: EvolutionServerRegistry(pool: startup),
            secrets: configuration.secrets.map(EvolutionServerSecrets.init),
            implicitDefault: configuration.evolution, settings: serverSettings, logger: logger)
        let publisher = Self.statePublisher(configuration, logger: logger)
        var dependencies = WhatsAppDependencies(
            authorizer: TenantAuthorizer(authenticator: Authenticator(settings: configuration.authentication)),
            tenants: PublishingTenantRepository(base: PostgresTenantRepository(pool: pool), publisher: publisher),
            lock: PostgresOperationLock(pool: pool),
            servers: servers,
            audit: PostgresAuditTrail(
                pool: pool, logger: logger, sendsQRCodeImage: configuration.eventWebhook?.sendsQRCodeImage ?? false),
            tenantLimiter: KeyedLimiter(limit: configuration.maxEvolutionRequestsPerTenant),
            statusChecks: SingleFlight(),
            settings: Self.flowSettings(configuration),
            clock: .system, logger: logger)
        dependencies.publisher = publisher
        dependencies.evolutionAdmission = Bulkhead(
            limit: configuration.maximumEvolutionInFlight(maxRequests: maxRequests))
        let webhook = configuration.webhook.map { _ in
            EvolutionWebhookHandler(
                servers: servers, tenants: dependencies.tenants, audit: dependencies.audit,
                clocks: Self.serverClocks(learnedOn: startup, storedIn: pool, logger: logger), logger: logger)
        }
        let eventOutbox = Self.startEventWebhooks(configuration, logger: logger).map { _ in EventOutbox(pool: pool) }
        let metrics = metricsRegistry.map { registry in
            MetricsHandler(
                registry: registry,
                sampleGauges: {
                    poolMetrics.sample(pool.statistics)
                    servers.sampleBreakers()
                    // Read from the outbox at each scrape; a PostgreSQL away leaves the gauges as they were.
                    if let statistics = try? eventOutbox?.statistics() { EventWebhookMetrics.sample(statistics) }
                })
        }
        self.init(
            router: Self.router(
                whatsApp: dependencies, tickets: PostgresEventTicketStore(pool: pool), webhook: webhook,
                metrics: metrics,
                checkDatabase: { () throws(PostgresError) in
                    try pool.query("SELECT 1 FROM schema_migrations LIMIT 1", retryOnConnectionLoss: true)
                }))
    }

    /// The event stream's publisher: to nchan's socket, reading rows on a PostgreSQL connection of its own, when
    /// `NCHAN_PUBLISH_SOCKET` is set; otherwise (or when its thread cannot start, logged) none.
    static func statePublisher(_ configuration: Configuration, logger: Logger) -> any TenantStatePublisher {
        guard let socket = configuration.nchanPublishSocket else { return NoStatePublisher() }
        let pool = PostgresPool(
            connectionString: configuration.databaseURL, size: 1,
            borrowTimeout: .milliseconds(configuration.databasePoolTimeoutMilliseconds),
            sessionSettings: configuration.sessionSettings)
        do {
            return try NchanStatePublisher(socketPath: socket, pool: pool, logger: logger)
        } catch {
            logger.error("event publishing is off: its thread did not start", metadata: ["error": "\(error)"])
            return NoStatePublisher()
        }
    }

    /// The delivery of events to the SaaS backend, started, when `EVENTS_WEBHOOK_URL` is set: two PostgreSQL
    /// connections of its own (one listening, one for its statements), never the request pool's. Nil otherwise, or
    /// when its threads cannot start (logged).
    static func startEventWebhooks(_ configuration: Configuration, logger: Logger) -> EventWebhookDispatcher? {
        guard let settings = configuration.eventWebhook else { return nil }
        let pool = PostgresPool(
            connectionString: configuration.databaseURL, size: 1,
            borrowTimeout: .milliseconds(configuration.databasePoolTimeoutMilliseconds),
            sessionSettings: configuration.sessionSettings)
        let dispatcher = EventWebhookDispatcher(
            settings: settings, pool: pool, connectionString: configuration.databaseURL, logger: logger)
        do {
            try dispatcher.start()
        } catch {
            logger.error("event webhooks are off: their threads did not start", metadata: ["error": "\(error)"])
            return nil
        }
        return dispatcher
    }

    /// The Evolution servers' clocks, starting from the offsets stored by earlier processes (read on `startup`) and
    /// storing each change through `pool`. Unreadable (PostgreSQL away, the migration not run yet): logged, and each
    /// server's offset is learned from its first delivery.
    static func serverClocks(
        learnedOn startup: PostgresPool, storedIn pool: PostgresPool, logger: Logger
    ) -> EvolutionServerClocks {
        var known: [EvolutionServerID: EvolutionClockOffset] = [:]
        do {
            known = try PostgresEvolutionClockStore(pool: startup).learnedOffsets()
        } catch {
            logger.warning(
                "Evolution servers' clock offsets not read; each is learned from its first delivery",
                metadata: ["error": .string(error.description)])
        }
        return EvolutionServerClocks(known: known, store: PostgresEvolutionClockStore(pool: pool), logger: logger)
    }

    private static func flowSettings(_ configuration: Configuration) -> FlowSettings {
        var settings = FlowSettings(
            qrWait: .milliseconds(configuration.qrWaitMilliseconds),
            upstreamTimeout: .milliseconds(configuration.evolutionTimeoutMilliseconds))
        settings.webhooks = configuration.webhook != nil
        settings.statusMaxAge = .milliseconds(configuration.statusMaxAgeMilliseconds)
        settings.closeGrace = .milliseconds(configuration.closeGraceMilliseconds)
        return settings
    }
}
