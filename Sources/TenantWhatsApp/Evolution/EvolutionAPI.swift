/// The Evolution calls the WhatsApp flows make, each bounded by the request's deadline.
///
/// The seam between the flows and the upstream: the product's implementation is ``GuardedEvolution`` (pooled
/// libcurl clients behind a circuit breaker); unit tests pass an in-memory fake.
protocol EvolutionAPI: Sendable {
    /// `POST /instance/create` (see ``EvolutionClient/createInstance(named:)``).
    func createInstance(
        named name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError)
        -> EvolutionCreatedInstance
    /// `GET /instance/connect/{name}`: a QR code, pending, or the state when already open.
    func connect(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError)
        -> EvolutionConnectResult
    /// `GET /instance/connectionState/{name}`.
    func connectionState(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError)
        -> EvolutionConnectionState
    /// `DELETE /instance/logout/{name}`.
    func logout(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError)
        -> EvolutionLogoutResult
    /// `DELETE /instance/delete/{name}`.
    func deleteInstance(named name: String, deadline: ContinuousClock.Instant) throws(EvolutionError)
    /// Makes sure the instance pushes its events to us: with webhooks configured, reads the instance's webhook and
    /// sets ours when it differs (a reused or adopted instance); without, does nothing.
    func ensureWebhook(instance name: String, deadline: ContinuousClock.Instant) throws(EvolutionError)
    /// The circuit breaker's state, for `/api/ready`: `closed`, `open` or `half_open`.
    var breakerState: String { get }
}
