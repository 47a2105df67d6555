import Resilience
import Runtime

/// ``EvolutionAPI`` of one Evolution server for the whole process: libcurl clients lent one call at a time, behind
/// the server's own circuit breaker and in-flight cap.
///
/// Each server has its own (see ``EvolutionServerDirectory``), so a server that hangs or dies fills only its own cap
/// and opens only its own breaker: the other servers' tenants never wait behind it. A client (one libcurl handle, whose kept-alive connection the next call reuses) is taken from the idle ones
/// or made, and given back after the call; the process holds at most as many as calls were ever in flight at once.
/// Calls are refused at once, without a handle, while the breaker is open. Every call, refused or sent, is counted
/// by operation and outcome (``EvolutionMetrics``).
final class GuardedEvolution: EvolutionAPI {
    /// The server, as the metrics' `server` label names it.
    let server: EvolutionServerID
    private let configuration: EvolutionConfiguration
    private let breaker: CircuitBreaker
    /// The webhook every created instance carries, and reused ones get; nil when webhooks are off.
    private let webhook: EvolutionWebhook?
    private let idleClients = ConditionLock<[EvolutionClient]>([])
    /// Calls in flight to this server from this process, and how many may be.
    private let inFlight: ConditionLock<(count: Int, limit: Int)>

    /// Idle clients kept beyond this are closed: a burst leaves no pile of connections behind.
    private static let maximumIdleClients = 32

    /// Server `server` at `configuration`, behind `breaker`, with at most `maximumInFlight` calls at once (beyond:
    /// ``EvolutionError/saturated`` at once).
    init(
        server: EvolutionServerID, configuration: EvolutionConfiguration, breaker: CircuitBreaker,
        webhook: EvolutionWebhook?, maximumInFlight: Int = .max
    ) {
        self.server = server
        self.configuration = configuration
        self.breaker = breaker
        self.webhook = webhook
        self.inFlight = ConditionLock((count: 0, limit: maximumInFlight))
    }

    /// The breaker itself, for the metrics' gauge.
    var breakerPhase: CircuitBreaker.State { breaker.state }

    /// Whether this is still the server at `configuration` with `webhook` (a changed URL, key or webhook secret
    /// needs new clients).
    func serves(_ configuration: EvolutionConfiguration, webhook: EvolutionWebhook?) -> Bool {
        self.configuration == configuration && self.webhook == webhook
    }

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

    func fetchInstances(deadline: ContinuousClock.Instant) throws(EvolutionError) -> [EvolutionInstanceSummary] {
        try call(.fetchInstances, deadline) { client throws(EvolutionError) in try client.fetchInstances() }
    }

    func instanceSummary(
        named name: String, deadline: ContinuousClock.Instant
    ) throws(EvolutionError) -> EvolutionInstanceSummary? {
        try call(.fetchInstances, deadline) { client throws(EvolutionError) in
            try client.fetchInstances(named: name).first { $0.name == name }
        }
    }

    /// Runs one call of `operation` on a lent client, if the breaker lets it through, tells the breaker how it went
    /// and records it in the metrics.
    private func call<Success>(
        _ operation: EvolutionOperation, _ deadline: ContinuousClock.Instant,
        _ body: (EvolutionClient) throws(EvolutionError) -> Success
    ) throws(EvolutionError) -> Success {
        let started = ContinuousClock.now
        do {
            let result = try withinCap { () throws(EvolutionError) in try guarded(deadline, body) }
            EvolutionMetrics.record(operation, server: server, failure: nil, duration: .now - started)
            return result
        } catch {
            EvolutionMetrics.record(operation, server: server, failure: error, duration: .now - started)
            throw error
        }
    }

    /// Sets how many calls may be in flight at once (the calls already in flight finish).
    func setMaximumInFlight(_ limit: Int) {
        inFlight.withLock { $0.limit = limit }
    }

    /// Runs `body` as one of at most the limit's calls to this server; refused at once beyond.
    private func withinCap<Success>(_ body: () throws(EvolutionError) -> Success) throws(EvolutionError) -> Success {
        let admitted = inFlight.withLock { state in
            guard state.count < state.limit else { return false }
            state.count += 1
            return true
        }
        guard admitted else { throw .saturated }
        defer { inFlight.withLock { $0.count -= 1 } }
        return try body()
    }

    /// Runs one call on a lent client if the breaker lets it through, and tells the breaker what it proved.
    private func guarded<Success>(
        _ deadline: ContinuousClock.Instant, _ body: (EvolutionClient) throws(EvolutionError) -> Success
    ) throws(EvolutionError) -> Success {
        let run = breaker.run({ () throws(CallFailure) in try onLentClient(deadline, body) }, classify: Self.outcome)
        switch run {
        case .refused(let retryAfter): throw .circuitOpen(retryAfter: retryAfter)
        case .completed(.success(let result)): return result
        case .completed(.failure(.noClient(let error))), .completed(.failure(.failed(let error))): throw error
        }
    }

    /// Why an admitted call has no answer: no client could be made (nothing was sent), or the call failed.
    private enum CallFailure: Error {
        case noClient(EvolutionError)
        case failed(EvolutionError)
    }

    /// What a call proved about the server: a call that could not even be made proves nothing, a 4xx that the
    /// server is up.
    private static func outcome<Success>(of result: Result<Success, CallFailure>) -> CircuitBreaker.CallOutcome {
        switch result {
        case .success: .success
        case .failure(.noClient): .neutral
        case .failure(.failed(let error)): error.indicatesOutage ? .failure : .success
        }
    }

    /// Runs `body` on a client taken from the idle ones (or made), given back afterwards.
    private func onLentClient<Success>(
        _ deadline: ContinuousClock.Instant, _ body: (EvolutionClient) throws(EvolutionError) -> Success
    ) throws(CallFailure) -> Success {
        let client: EvolutionClient
        do {
            client = try borrowClient()
        } catch {
            throw .noClient(error)
        }
        defer { giveBack(client) }
        client.deadline = deadline
        do {
            return try body(client)
        } catch {
            throw .failed(error)
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
