/// What every Evolution server's upstream shares: the per-call deadline, the breaker's settings, the per-server
/// in-flight cap, and the webhook (nil: polling only).
struct EvolutionServerSettings: Sendable {
    /// `EVOLUTION_TIMEOUT_MS`.
    var timeoutMilliseconds = EvolutionConfiguration.defaultTimeoutMilliseconds
    /// `EVOLUTION_BREAKER_FAILURES`.
    var breakerFailures = 5
    /// `EVOLUTION_BREAKER_COOLDOWN_MS`.
    var breakerCooldown: Duration = .seconds(5)
    /// `EVOLUTION_MAX_IN_FLIGHT_PER_SERVER`: calls in flight to one server from this process.
    var maximumInFlightPerServer = 64
    /// `EVOLUTION_WEBHOOK_URL` and `EVOLUTION_WEBHOOK_SECRET`: the route and secret of `default`; every other server
    /// delivers to `{url}/{id}` with a secret of its own.
    var webhook: WebhookSettings?
}
