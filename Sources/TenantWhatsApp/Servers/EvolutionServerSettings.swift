/// What every Evolution server's upstream shares: the per-call deadline, the breaker's settings, the per-server
/// in-flight cap, and the webhook (nil: polling only).
struct EvolutionServerSettings: Sendable {
    /// `EVOLUTION_TIMEOUT_MS`.
    var timeoutMilliseconds = EvolutionConfiguration.defaultTimeoutMilliseconds
    /// `EVOLUTION_BREAKER_FAILURES`.
    var breakerFailures = 5
    /// `EVOLUTION_BREAKER_COOLDOWN_MS`.
    var breakerCooldown: Duration = .seconds(5)
    /// `EVOLUTION_MAX_IN_FLIGHT_PER_SERVER`: calls in flight to one server from this process; nil: a quarter of
    /// `--max-requests` (``defaultMaximumInFlightPerServer``) while several servers are known, no cap with one (as
    /// before servers were registered: a single server has no other server's tenants to protect).
    var maximumInFlightPerServer: Int?
    /// A quarter of `--max-requests`.
    var defaultMaximumInFlightPerServer = 64

    /// The cap of each server when `serverCount` servers are known.
    func maximumInFlight(serverCount: Int) -> Int {
        if let maximumInFlightPerServer { return maximumInFlightPerServer }
        return serverCount > 1 ? defaultMaximumInFlightPerServer : .max
    }
    /// `EVOLUTION_WEBHOOK_URL` and `EVOLUTION_WEBHOOK_SECRET`: the route and secret of `default`; every other server
    /// delivers to `{url}/{id}` with a secret of its own.
    var webhook: WebhookSettings?
}
