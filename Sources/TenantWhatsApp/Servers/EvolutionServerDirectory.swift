import JWT
import Logging
import Postgres
import Resilience
import Runtime

/// ``EvolutionServers`` as `serve` runs it: the servers registered in `evolution_servers` (or the implicit `default`
/// of `EVOLUTION_API_URL`), each with its own circuit breaker, in-flight cap and libcurl clients.
///
/// The registry is read at start (a stored secret that does not open refuses the start) and again at most once a
/// second while requests come, so a server added, drained or disabled by `tenant-whatsapp servers` on any host takes
/// effect on every responder within about a second. A server this process does not know yet (placed on by another
/// process a moment ago) makes it read the registry at once. A server's breaker outlives a change of its URL or key.
final class EvolutionServerDirectory: EvolutionServers {
    /// One known server.
    struct Entry: Sendable {
        let state: EvolutionServerState
        let upstream: GuardedEvolution
        let verifier: JWTVerifier?
    }

    private struct Snapshot: Sendable {
        var entries: [EvolutionServerID: Entry] = [:]
        var loadedAt: ContinuousClock.Instant = .now
        var refreshing = false
    }

    /// How old the registry may be before a request reads it again.
    static let refreshInterval: Duration = .seconds(1)
    /// The shortest time between two reads caused by a server this process did not know.
    static let unknownServerRefreshInterval: Duration = .milliseconds(100)

    private let registry: EvolutionServerRegistry
    private let secrets: EvolutionServerSecrets?
    private let implicitDefault: EvolutionConfiguration?
    private let settings: EvolutionServerSettings
    private let logger: Logger
    private let snapshot = ConditionLock(Snapshot())
    private let breakers = ConditionLock<[EvolutionServerID: CircuitBreaker]>([:])

    /// The servers of `registry`, and `implicitDefault` (`EVOLUTION_API_URL`) as `default` unless a row of that name
    /// exists; loaded now from `startupRegistry` (the same table, on a connection the caller closes after).
    init(
        registry: EvolutionServerRegistry, startupRegistry: EvolutionServerRegistry,
        secrets: EvolutionServerSecrets?, implicitDefault: EvolutionConfiguration?,
        settings: EvolutionServerSettings, logger: Logger
    ) throws(EvolutionServerDirectoryError) {
        self.registry = registry
        self.secrets = secrets
        self.implicitDefault = implicitDefault
        self.settings = settings
        self.logger = logger
        var entries: [EvolutionServerID: Entry]
        do {
            entries = try load(previous: [:], from: startupRegistry)
        } catch .database(let error) where implicitDefault != nil {
            // PostgreSQL away at start: serve `default` (requests answer 503 database_unavailable until it is back),
            // and read the registry at the first request after it returns.
            logger.warning(
                "Evolution servers not read at start; serving EVOLUTION_API_URL until PostgreSQL answers",
                metadata: ["error": .string(error.description)])
            entries = [:]
            if var implicitDefault {
                implicitDefault.timeoutMilliseconds = settings.timeoutMilliseconds
                entries[.implicitDefault] = entry(
                    .implicitDefault, state: .active, configuration: implicitDefault, webhookSecret: nil, previous: nil)
            }
        }
        guard !entries.isEmpty else { throw .noServer }
        snapshot.withLock { $0 = Snapshot(entries: entries, loadedAt: .now) }
    }

    func upstream(on server: EvolutionServerID) -> any EvolutionAPI {
        guard let entry = entry(of: server), entry.state != .disabled else { return UnavailableEvolution() }
        return entry.upstream
    }

    func state(of server: EvolutionServerID) -> EvolutionServerState? {
        entry(of: server)?.state
    }

    func webhookVerifier(for server: EvolutionServerID) -> JWTVerifier? {
        refreshIfStale(force: false)
        return snapshot.withLock { $0.entries[server]?.verifier }
    }

    func readiness() -> [EvolutionServerReadiness] {
        refreshIfStale(force: false)
        return snapshot.withLock { $0.entries }.sorted { $0.key < $1.key }.map { id, entry in
            EvolutionServerReadiness(id: id, state: entry.state, breaker: entry.upstream.breakerPhase.rawValue)
        }
    }

    /// Sets each server's breaker gauge (at each scrape of `/api/metrics`).
    func sampleBreakers() {
        for (id, entry) in snapshot.withLock({ $0.entries }) {
            EvolutionMetrics.sample(breaker: entry.upstream.breakerPhase, server: id)
        }
    }

    /// The entry of `server`, reading the registry first when it is stale, or at once when `server` is unknown.
    private func entry(of server: EvolutionServerID) -> Entry? {
        refreshIfStale(force: false)
        if let known = snapshot.withLock({ $0.entries[server] }) { return known }
        refreshIfStale(force: true)
        return snapshot.withLock { $0.entries[server] }
    }

    /// Reads the registry again when the last read is older than ``refreshInterval`` (with `force`, than
    /// ``unknownServerRefreshInterval``). One thread reads; the others go on with what is known. A failed read keeps
    /// what is known (logged): the servers do not vanish because PostgreSQL blinked.
    private func refreshIfStale(force: Bool) {
        let interval = force ? Self.unknownServerRefreshInterval : Self.refreshInterval
        let previous: [EvolutionServerID: Entry]? = snapshot.withLock { state in
            guard !state.refreshing, ContinuousClock.now - state.loadedAt >= interval else { return nil }
            state.refreshing = true
            return state.entries
        }
        guard let previous else { return }
        var entries = previous
        do {
            entries = try load(previous: previous, from: registry)
        } catch {
            logger.error(
                "Evolution servers not reloaded; serving the last ones read",
                metadata: ["error": .string(error.description)])
        }
        snapshot.withLock { $0 = Snapshot(entries: entries, loadedAt: .now) }
    }

    /// Every server now: the registry's rows, and the implicit `default` unless it is registered.
    private func load(
        previous: [EvolutionServerID: Entry], from registry: EvolutionServerRegistry
    ) throws(EvolutionServerDirectoryError) -> [EvolutionServerID: Entry] {
        let servers = try ResolvedEvolutionServer.all(
            registry: registry, secrets: secrets, implicitDefault: implicitDefault,
            timeoutMilliseconds: settings.timeoutMilliseconds)
        var entries: [EvolutionServerID: Entry] = [:]
        let cap = settings.maximumInFlight(serverCount: servers.count)
        for server in servers {
            let made = entry(
                server.id, state: server.state, configuration: server.configuration,
                webhookSecret: server.webhookSecret, previous: previous[server.id])
            made.upstream.setMaximumInFlight(cap)
            entries[server.id] = made
        }
        return entries
    }

    /// The entry of server `id`, reusing `previous`'s clients while its URL, key and webhook are the same.
    ///
    /// `default` delivers to the present route with `EVOLUTION_WEBHOOK_SECRET`, as before servers were registered;
    /// every other server to `{EVOLUTION_WEBHOOK_URL}/{id}` with its own secret (`webhookSecret`).
    private func entry(
        _ id: EvolutionServerID, state: EvolutionServerState, configuration: EvolutionConfiguration,
        webhookSecret: String?, previous: Entry?
    ) -> Entry {
        var webhook: EvolutionWebhook?
        var verifier: JWTVerifier?
        if let settings = settings.webhook {
            if id == .implicitDefault || webhookSecret == nil {
                webhook = EvolutionWebhook(url: settings.url, jwtKey: settings.secret, events: WebhookSettings.events)
                verifier = settings.verifier
            } else if let webhookSecret, let key = try? JWTVerificationKey(hmacSecret: Array(webhookSecret.utf8)) {
                webhook = EvolutionWebhook(
                    url: settings.url + "/" + id.rawValue, jwtKey: webhookSecret, events: WebhookSettings.events)
                verifier = JWTVerifier(key: key)
            }
        }
        if let previous, previous.upstream.serves(configuration, webhook: webhook) {
            return Entry(state: state, upstream: previous.upstream, verifier: previous.verifier)
        }
        let upstream = GuardedEvolution(
            server: id, configuration: configuration, breaker: breaker(of: id), webhook: webhook,
            maximumInFlight: settings.maximumInFlight(serverCount: 1))
        return Entry(state: state, upstream: upstream, verifier: verifier)
    }

    /// Server `id`'s breaker, made at first use and kept for the process's life.
    private func breaker(of id: EvolutionServerID) -> CircuitBreaker {
        breakers.withLock { breakers in
            if let existing = breakers[id] { return existing }
            let logger = self.logger
            let made = CircuitBreaker(
                failureThreshold: settings.breakerFailures, cooldown: settings.breakerCooldown,
                onTransition: { from, to in
                    logger.warning(
                        "Evolution circuit breaker changed state",
                        metadata: [
                            "server": .string(id.rawValue), "from": .string(from.rawValue), "to": .string(to.rawValue),
                        ])
                })
            breakers[id] = made
            return made
        }
    }
}
