extension CircuitBreaker {
    /// What ``CircuitBreaker/run(_:classify:)`` did: refused the call, or made it.
    public enum RunResult<Success, Failure: Error> {
        /// The breaker refused; `call` did not run. Wait at least `retryAfter` (exact, above zero).
        case refused(retryAfter: Duration)
        /// `call` ran and gave this result.
        case completed(Result<Success, Failure>)
    }

    /// Runs `call` on the calling thread if the breaker admits it, and records the outcome `classify` gives its result.
    ///
    /// `classify` decides what the result proves: a 4xx answer is a `.success` for the breaker (the dependency is
    /// up), a timeout a `.failure`, a call abandoned because the client left `.neutral`.
    public func run<Success, Failure: Error>(
        _ call: () throws(Failure) -> Success, classify: (Result<Success, Failure>) -> CallOutcome
    ) -> RunResult<Success, Failure> {
        switch admit() {
        case .refused(let retryAfter):
            return .refused(retryAfter: retryAfter)
        case .allowed(let permit):
            let result = Result(catching: call)
            permit.finish(classify(result))
            return .completed(result)
        }
    }

    /// Runs `call` like ``run(_:classify:)``, counting a result `isFailure` accepts as a failure and any other as a
    /// success.
    public func run<Success, Failure: Error>(
        _ call: () throws(Failure) -> Success, isFailure: (Result<Success, Failure>) -> Bool
    ) -> RunResult<Success, Failure> {
        run(call) { isFailure($0) ? .failure : .success }
    }
}

extension CircuitBreaker.RunResult: Sendable where Success: Sendable {}
