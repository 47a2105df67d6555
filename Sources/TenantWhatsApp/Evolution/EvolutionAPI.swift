/// The Evolution calls the WhatsApp flows make, each bounded by the request's deadline.
///
/// The seam between the flows and one Evolution server: the product's implementation is ``GuardedEvolution`` (pooled
/// libcurl clients behind the server's circuit breaker and in-flight cap), reached through ``EvolutionServers``; unit
/// tests pass an in-memory fake.
protocol EvolutionAPI: Sendable {
    /// `POST /instance/create` (see ``EvolutionClient/createInstance(named:number:)``), with `number` when a
    /// pairing code is wanted for that phone.
    func createInstance(
        named name: String, pairingNumber: PairingNumber?, deadline: ContinuousClock.Instant
    ) throws(EvolutionError)
        -> EvolutionCreatedInstance
    /// `GET /instance/connect/{name}[?number=]`: a QR code (with its pairing code in pairing-code mode), pending, or
    /// the state when already open. Evolution heeds `number` only on an instance in `close`.
    func connect(
        instance name: String, pairingNumber: PairingNumber?, deadline: ContinuousClock.Instant
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
    /// `GET /instance/fetchInstances`: every instance of the server (reconcile).
    func fetchInstances(deadline: ContinuousClock.Instant) throws(EvolutionError) -> [EvolutionInstanceSummary]
    /// `GET /instance/fetchInstances?instanceName=`: the one instance's database row, with its account (`ownerJid`,
    /// `profileName`), which status learns on the first `open` it polls; nil when the answer holds no row, 404
    /// (``EvolutionError/notFound``) when Evolution does not know the instance.
    func instanceSummary(
        named name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionInstanceSummary?
}

extension EvolutionAPI {
    /// `POST /instance/create` for a QR code only (no `number`).
    func createInstance(
        named name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionCreatedInstance {
        try createInstance(named: name, pairingNumber: nil, deadline: deadline)
    }

    /// `GET /instance/connect/{name}` without `?number=`.
    func connect(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionConnectResult {
        try connect(instance: name, pairingNumber: nil, deadline: deadline)
    }
}
