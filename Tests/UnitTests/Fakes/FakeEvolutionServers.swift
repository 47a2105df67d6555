import JWT
import Runtime

@testable import TenantWhatsApp

/// ``EvolutionServers`` in memory: every server's upstream is one fake (or one per server), with states scripted per
/// server, webhook verifiers per server, and the calls to `upstream(on:)` recorded.
final class FakeEvolutionServers: EvolutionServers {
    private struct State {
        var upstreams: [EvolutionServerID: any EvolutionAPI] = [:]
        var states: [EvolutionServerID: EvolutionServerState] = [.implicitDefault: .active]
        var verifiers: [EvolutionServerID: JWTVerifier] = [:]
        var breakers: [EvolutionServerID: String] = [:]
        var reached: [EvolutionServerID] = []
    }

    private let fallback: any EvolutionAPI
    private let state = ConditionLock(State())

    /// Servers whose upstream is `fallback` unless ``add(_:upstream:state:)`` gives one.
    init(_ fallback: any EvolutionAPI) {
        self.fallback = fallback
    }

    /// Makes `server` known in `state`, with `upstream` (nil: the fallback).
    func add(_ server: EvolutionServerID, upstream: (any EvolutionAPI)? = nil, state: EvolutionServerState = .active) {
        self.state.withLock {
            $0.states[server] = state
            if let upstream { $0.upstreams[server] = upstream }
        }
    }

    /// Moves `server` to `state`.
    func set(_ server: EvolutionServerID, _ state: EvolutionServerState) {
        self.state.withLock { $0.states[server] = state }
    }

    /// Verifies webhook tokens of `server` with `verifier`.
    func setVerifier(_ verifier: JWTVerifier, for server: EvolutionServerID) {
        state.withLock { $0.verifiers[server] = verifier }
    }

    /// Reports `server`'s breaker as `state` (`closed` unless set).
    func setBreaker(_ state: String, for server: EvolutionServerID) {
        self.state.withLock { $0.breakers[server] = state }
    }

    /// The servers whose upstream was asked for, in order.
    var reached: [EvolutionServerID] { state.withLock { $0.reached } }

    func upstream(on server: EvolutionServerID) -> any EvolutionAPI {
        state.withLock { state in
            state.reached.append(server)
            guard let known = state.states[server], known != .disabled else { return UnavailableEvolution() }
            return state.upstreams[server] ?? fallback
        }
    }

    func state(of server: EvolutionServerID) -> EvolutionServerState? {
        state.withLock { $0.states[server] }
    }

    func webhookVerifier(for server: EvolutionServerID) -> JWTVerifier? {
        state.withLock { $0.verifiers[server] }
    }

    func readiness() -> [EvolutionServerReadiness] {
        state.withLock { state in
            state.states.sorted { $0.key < $1.key }.map {
                EvolutionServerReadiness(id: $0.key, state: $0.value, breaker: state.breakers[$0.key] ?? "closed")
            }
        }
    }
}
