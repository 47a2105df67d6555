import Resilience
import Runtime

/// ``EvolutionAPI`` for the whole process: libcurl clients lent one call at a time, behind a circuit breaker.
///
/// A client (one libcurl handle, whose kept-alive connection the next call reuses) is taken from the idle ones
/// or made, and given back after the call; the process holds at most as many as calls were ever in flight at once.
/// Calls are refused at once, without a handle, while the breaker is open. Every call, refused or sent, is counted
/// by operation and outcome (``EvolutionMetrics``).
final class GuardedEvolution: EvolutionAPI {
    private let configuration: EvolutionConfiguration
    private let breaker: CircuitBreaker
    /// The webhook every created instance carries, and reused ones get; nil when webhooks are off.
    private let webhook: EvolutionWebhook?
    private let idleClients = ConditionLock<[EvolutionClient]>([])

    /// Idle clients kept beyond this are closed: a burst leaves no pile of connections behind.
    private static let maximumIdleClients = 32

    init(configuration: EvolutionConfiguration, breaker: CircuitBreaker, webhook: EvolutionWebhook?) {
        self.configuration = configuration
        self.breaker = breaker
        self.webhook = webhook
    }

    var breakerState: String { breaker.state.rawValue }

    func createInstance(
        named name: String, pairingNumber: PairingNumber?, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionCreatedInstance {
        try call(.createInstance, deadline) { client throws(EvolutionError) in
            try client.createInstance(named: name, number: pairingNumber?.digits, webhook: webhook)
        }
    }

    func connect(
        instance name: String, pairingNumber: PairingNumber?, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionConnectResult {
        try call(.connect, deadline) { client throws(EvolutionError) in
            try client.connect(instance: name, number: pairingNumber?.digits)
        }
    }

    func connectionState(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionConnectionState {
        try call(.connectionState, deadline) { client throws(EvolutionError) in
            try client.connectionState(instance: name)
        }
    }

    func logout(
        instance name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionLogoutResult {
        try call(.logout, deadline) { client throws(EvolutionError) in try client.logout(instance: name) }
    }

    func deleteInstance(named name: String, deadline: ContinuousClock.Instant) throws(EvolutionError) {
        try call(.deleteInstance, deadline) { client throws(EvolutionError) in
            try client.deleteInstance(named: name)
        }
    }

    func ensureWebhook(instance name: String, deadline: ContinuousClock.Instant) throws(EvolutionError) {
        guard let webhook else { return }
        let stored = try call(.findWebhook, deadline) { client throws(EvolutionError) in
            try client.findWebhook(instance: name)
        }
        if let stored, webhook.matches(row: stored) { return }
        try call(.setWebhook, deadline) { client throws(EvolutionError) in
            try client.setWebhook(webhook, instance: name)
        }
    }

    /// Runs one call of `operation` on a lent client, if the breaker lets it through, tells the breaker how it went
    /// and records it in the metrics.
    private func call<Result>(
        _ operation: EvolutionOperation, _ deadline: ContinuousClock.Instant,
        _ body: (EvolutionClient) throws(EvolutionError) -> Result
    ) throws(EvolutionError) -> Result {
        let started = ContinuousClock.now
        do {
            let result = try admitted(deadline, body)
            EvolutionMetrics.record(operation, failure: nil, duration: .now - started)
            return result
        } catch {
            EvolutionMetrics.record(operation, failure: error, duration: .now - started)
            throw error
        }
    }

    /// Runs one call on a lent client if the breaker lets it through, and tells the breaker how it went.
    private func admitted<Result>(
        _ deadline: ContinuousClock.Instant, _ body: (EvolutionClient) throws(EvolutionError) -> Result
    ) throws(EvolutionError) -> Result {
        let admission = breaker.admit()
        switch consume admission {
        case .refused(let retryAfter): throw .circuitOpen(retryAfter: retryAfter)
        case .allowed(let permit): return try call(deadline, permit: permit, body)
        }
    }

    private func call<Result>(
        _ deadline: ContinuousClock.Instant, permit: consuming CircuitBreaker.Permit,
        _ body: (EvolutionClient) throws(EvolutionError) -> Result
    ) throws(EvolutionError) -> Result {
        let client: EvolutionClient
        do {
            client = try borrowClient()
        } catch {
            permit.finish(.neutral)
            throw error
        }
        defer { giveBack(client) }
        client.deadline = deadline
        do {
            let result = try body(client)
            permit.finish(.success)
            return result
        } catch {
            permit.finish(error.indicatesOutage ? .failure : .success)
            throw error
        }
    }

    private func borrowClient() throws(EvolutionError) -> EvolutionClient {
        if let idle = idleClients.withLock({ $0.popLast() }) { return idle }
        return try EvolutionClient(configuration: configuration)
    }

    private func giveBack(_ client: EvolutionClient) {
        client.deadline = nil
        idleClients.withLock { idle in
            if idle.count < Self.maximumIdleClients { idle.append(client) }
        }
    }
}
