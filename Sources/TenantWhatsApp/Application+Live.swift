import Logging
import Postgres
import Prometheus
import Resilience

extension Application {
    /// The application as `serve` runs it: one PostgreSQL pool, one set of Evolution clients behind one circuit
    /// breaker, and the per-tenant limits, all shared by every worker thread of the process.
    ///
    /// `metricsRegistry` is the registry `MetricsSystem` was bootstrapped with (before this init, so that the metrics
    /// made here record into it); `GET /api/metrics` writes it. Without one (unit tests) that route is a 404 and every
    /// metric is swift-metrics' no-op.
    public convenience init(
        configuration: Configuration, logger: Logger, metricsRegistry: PrometheusCollectorRegistry? = nil
    ) {
        let poolMetrics = DatabasePoolMetrics()
        let pool = PostgresPool(
            connectionString: configuration.databaseURL, size: configuration.databasePoolSize,
            borrowTimeout: .milliseconds(configuration.databasePoolTimeoutMilliseconds),
            sessionSettings: ["SET statement_timeout = \(configuration.statementTimeoutMilliseconds)"],
            onBorrowWait: { waited, timedOut in poolMetrics.recordBorrow(waited: waited, timedOut: timedOut) })
        let breaker = CircuitBreaker(
            failureThreshold: configuration.breakerFailures,
            cooldown: .milliseconds(configuration.breakerCooldownMilliseconds),
            onTransition: { from, to in
                logger.warning(
                    "Evolution circuit breaker changed state",
                    metadata: ["from": .string(from.rawValue), "to": .string(to.rawValue)])
            })
        let dependencies = WhatsAppDependencies(
            authorizer: TenantAuthorizer(authenticator: Authenticator(settings: configuration.authentication)),
            tenants: PostgresTenantRepository(pool: pool),
            lock: PostgresOperationLock(pool: pool),
            evolution: GuardedEvolution(
                configuration: configuration.evolution, breaker: breaker,
                webhook: configuration.webhook.map {
                    EvolutionWebhook(url: $0.url, jwtKey: $0.secret, events: WebhookSettings.events)
                }),
            audit: PostgresAuditTrail(pool: pool, logger: logger),
            tenantLimiter: KeyedLimiter(limit: configuration.maxEvolutionRequestsPerTenant),
            statusChecks: SingleFlight(),
            settings: Self.flowSettings(configuration),
            clock: .system, logger: logger)
        let webhook = configuration.webhook.map {
            EvolutionWebhookHandler(
                verifier: $0.verifier, tenants: dependencies.tenants, audit: dependencies.audit, logger: logger)
        }
        let metrics = metricsRegistry.map { registry in
            MetricsHandler(
                registry: registry,
                sampleGauges: {
                    poolMetrics.sample(pool.statistics)
                    EvolutionMetrics.sample(breaker: breaker.state)
                })
        }
        self.init(
            router: Self.router(
                whatsApp: dependencies, webhook: webhook, metrics: metrics,
                checkDatabase: { () throws(PostgresError) in
                    try pool.query("SELECT 1 FROM schema_migrations LIMIT 1", retryOnConnectionLoss: true)
                }))
    }

    private static func flowSettings(_ configuration: Configuration) -> FlowSettings {
        var settings = FlowSettings(
            qrWait: .milliseconds(configuration.qrWaitMilliseconds),
            upstreamTimeout: .milliseconds(configuration.evolution.timeoutMilliseconds))
        settings.webhooks = configuration.webhook != nil
        settings.statusMaxAge = .milliseconds(configuration.statusMaxAgeMilliseconds)
        return settings
    }
}
