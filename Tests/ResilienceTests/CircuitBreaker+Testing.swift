import Resilience

extension CircuitBreaker {
    /// Makes one call with `outcome` if admitted; whether it was.
    @discardableResult
    func call(_ outcome: CallOutcome) -> Bool {
        switch admit() {
        case .allowed(let permit):
            permit.finish(outcome)
            return true
        case .refused:
            return false
        }
    }
}

extension CircuitBreaker.Admission {
    /// The permit; nil when refused.
    consuming func permit() -> CircuitBreaker.Permit? {
        switch consume self {
        case .allowed(let permit): permit
        case .refused: nil
        }
    }

    /// The permit; throws (failing the test) when refused. `#require` cannot take a noncopyable value.
    consuming func requirePermit() throws -> CircuitBreaker.Permit {
        switch consume self {
        case .allowed(let permit): permit
        case .refused(let retryAfter): throw UnexpectedRefusal(retryAfter: retryAfter)
        }
    }

    /// How long the refusal asks to wait; nil (and the permit finished as neutral) when admitted.
    consuming func refusal() -> Duration? {
        switch consume self {
        case .allowed: nil
        case .refused(let retryAfter): retryAfter
        }
    }
}

/// A test expected a permit and the breaker refused.
struct UnexpectedRefusal: Error {
    let retryAfter: Duration
}
