import JWT

/// The Evolution servers as the flows reach them: the seam between the handlers and the registry of servers.
///
/// The product's implementation is ``EvolutionServerDirectory`` (the registered servers, or the implicit `default` of
/// `EVOLUTION_API_URL`, each with its own breaker, in-flight cap and libcurl clients); unit tests pass a fake.
protocol EvolutionServers: Sendable {
    /// The upstream of `server`; for a disabled or unknown server, one that refuses every call with
    /// ``EvolutionError/serverUnavailable`` without sending anything.
    func upstream(on server: EvolutionServerID) -> any EvolutionAPI
    /// The state of `server`; nil when this process does not know it (not registered, and not the implicit
    /// `default`).
    func state(of server: EvolutionServerID) -> EvolutionServerState?
    /// Verifies the tokens of webhook deliveries signed for `server`; nil when it is not known.
    func webhookVerifier(for server: EvolutionServerID) -> JWTVerifier?
    /// Every known server, with its state and its breaker's, for `/api/ready`.
    func readiness() -> [EvolutionServerReadiness]
}

/// One server as `/api/ready` shows it.
struct EvolutionServerReadiness: Sendable, Equatable {
    let id: EvolutionServerID
    let state: EvolutionServerState
    /// `closed`, `open` or `half_open`.
    let breaker: String
}

/// The upstream of a server that gets no call: every call fails at once with ``EvolutionError/serverUnavailable``.
struct UnavailableEvolution: EvolutionAPI {
    func createInstance(
        named name: String, pairingNumber: PairingNumber?, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionCreatedInstance { throw .serverUnavailable }

    func connect(
        instance name: String, pairingNumber: PairingNumber?, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionConnectResult { throw .serverUnavailable }

    func connectionState(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionConnectionState { throw .serverUnavailable }

    func logout(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionLogoutResult { throw .serverUnavailable }

    func deleteInstance(named name: String, deadline: ContinuousClock.Instant) throws(EvolutionError) {
        throw .serverUnavailable
    }

    func ensureWebhook(instance name: String, deadline: ContinuousClock.Instant) throws(EvolutionError) {
        throw .serverUnavailable
    }

    func fetchInstances(deadline: ContinuousClock.Instant) throws(EvolutionError) -> [EvolutionInstanceSummary] {
        throw .serverUnavailable
    }

    func instanceSummary(
        named name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionInstanceSummary? { throw .serverUnavailable }
}
