import CoreMetrics
import Resilience

/// The metrics of the Evolution API: every call by operation and outcome, their duration, and the circuit breaker.
///
/// - `tenant_whatsapp_evolution_calls_total{operation,outcome,server}`: a counter; `outcome` is `ok` or the failure
///   (``outcome(of:)``), `circuit_open` for a call the breaker refused without sending it, `saturated` for one the
///   server's in-flight cap refused.
/// - `tenant_whatsapp_evolution_call_duration_seconds{operation,server}`: a histogram of the calls that were sent
///   (refused ones took no time and would only hide the real latency).
/// - `tenant_whatsapp_evolution_circuit_breaker_state{server}`: a gauge, 0 closed, 1 half-open, 2 open, set at each
///   scrape.
///
/// `server` is the Evolution server's id (a bounded set the operator registers); no instance name or tenant is ever
/// a label: the series stay a fixed, small set.
enum EvolutionMetrics {
    /// The counter of calls.
    static let callsName = Application.metricsPrefix + "evolution_calls_total"
    /// The histogram of call durations.
    static let durationName = Application.metricsPrefix + "evolution_call_duration_seconds"
    /// The gauge of the circuit breaker's state.
    static let breakerStateName = Application.metricsPrefix + "evolution_circuit_breaker_state"

    /// Records one call of `operation` to `server` that took `duration` and ended with `failure` (nil: it succeeded).
    static func record(
        _ operation: EvolutionOperation, server: EvolutionServerID, failure: EvolutionError?, duration: Duration
    ) {
        let dimensions = [
            ("operation", operation.rawValue), ("outcome", outcome(of: failure)), ("server", server.rawValue),
        ]
        Counter(label: callsName, dimensions: dimensions).increment()
        switch failure {
        case .circuitOpen, .saturated, .serverUnavailable: return
        default: break
        }
        Timer(label: durationName, dimensions: [("operation", operation.rawValue), ("server", server.rawValue)])
            .record(duration)
    }

    /// The `outcome` label: `ok`, or what went wrong, one value per kind of ``EvolutionError`` (without its details).
    static func outcome(of failure: EvolutionError?) -> String {
        guard let failure else { return "ok" }
        return switch failure {
        case .notFound: "not_found"
        case .nameInUse: "name_in_use"
        case .needsLogout: "needs_logout"
        case .timeout: "timeout"
        case .unreachable: "unavailable"
        case .badResponse: "bad_response"
        case .server: "server_error"
        case .unauthorized: "unauthorized"
        case .tls: "tls"
        case .transport: "transport"
        case .circuitOpen: "circuit_open"
        case .saturated: "saturated"
        case .serverUnavailable: "server_unavailable"
        }
    }

    /// Sets `server`'s breaker gauge to `state`: 0 closed, 1 half-open, 2 open.
    static func sample(breaker state: CircuitBreaker.State, server: EvolutionServerID) {
        let value =
            switch state {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
        Gauge(label: breakerStateName, dimensions: [("server", server.rawValue)]).record(value)
    }
}
