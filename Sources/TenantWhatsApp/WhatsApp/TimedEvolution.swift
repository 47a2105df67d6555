import HTTPServer
import Logging

/// The Evolution server of one tenant as one request calls it: each call bounded by the request's deadline and timed
/// on its log line (`evolution.connectionState`, with its outcome), a failure answered in the envelope.
///
/// Built per request (a struct holding the request's context, cheap to make). Its methods are those of
/// ``EvolutionAPI`` without the deadline, and throw the envelope; the calls whose failures some flows answer
/// themselves (404: the instance is gone, 403: the name is taken, 400: log out first) are in ``attempt``, which hands
/// the failure back. With a lease, no call is made once the request no longer holds it (``LeaseKeeper``).
struct TimedEvolution {
    /// The calls, each with its failure handed back instead of answered.
    let attempt: Attempt

    /// The server the calls go to.
    var server: EvolutionServerID { attempt.server }

    /// Calls to `server` of `servers` for the request of `context`, due by `deadline`; `logger` gets the alerts that
    /// are not about one request (a refused API key).
    init(
        _ servers: any EvolutionServers, on server: EvolutionServerID, context: RequestContext,
        deadline: ContinuousClock.Instant, logger: Logger, lease: LeaseKeeper? = nil
    ) {
        attempt = Attempt(
            servers: servers, server: server, context: context, deadline: deadline, logger: logger, lease: lease)
    }

    /// See ``EvolutionAPI/connect(instance:pairingNumber:deadline:)``.
    func connect(instance name: String, pairingNumber: PairingNumber?) throws(APIError) -> EvolutionConnectResult {
        try answer(try attempt.connect(instance: name, pairingNumber: pairingNumber))
    }

    /// See ``EvolutionAPI/connectionState(instance:deadline:)``.
    func connectionState(instance name: String) throws(APIError) -> EvolutionConnectionState {
        try answer(try attempt.connectionState(instance: name))
    }

    /// See ``EvolutionAPI/logout(instance:deadline:)``.
    @discardableResult
    func logout(instance name: String) throws(APIError) -> EvolutionLogoutResult {
        try answer(try attempt.logout(instance: name))
    }

    /// See ``EvolutionAPI/deleteInstance(named:deadline:)``.
    func deleteInstance(named name: String) throws(APIError) {
        try answer(try attempt.deleteInstance(named: name))
    }

    /// See ``EvolutionAPI/ensureWebhook(instance:deadline:)``.
    func ensureWebhook(instance name: String) throws(APIError) {
        try answer(try attempt.ensureWebhook(instance: name))
    }

    /// The envelope for an upstream failure the flow does not handle; a refused key is also an alert in the log.
    func failure(_ error: EvolutionError) -> APIError {
        if error == .unauthorized {
            attempt.logger.error(
                "Evolution refused our API key: check the server's key (answered 502 upstream_error)",
                metadata: ["server": .string(server.rawValue)])
        }
        return APIError(upstream: error)
    }

    private func answer<Success>(_ result: Result<Success, EvolutionError>) throws(APIError) -> Success {
        switch result {
        case .success(let value): return value
        case .failure(let error): throw failure(error)
        }
    }
}

extension TimedEvolution {
    /// The calls of ``TimedEvolution``, each timed on the log line like them, with the failure handed back.
    struct Attempt {
        let servers: any EvolutionServers
        let server: EvolutionServerID
        let context: RequestContext
        let deadline: ContinuousClock.Instant
        let logger: Logger
        /// The tenant's lease this request holds, if any: checked before every call.
        let lease: LeaseKeeper?

        /// See ``EvolutionAPI/createInstance(named:pairingNumber:deadline:)``.
        func createInstance(
            named name: String, pairingNumber: PairingNumber?
        ) throws(APIError) -> Result<EvolutionCreatedInstance, EvolutionError> {
            try timed("createInstance") { upstream throws(EvolutionError) in
                try upstream.createInstance(named: name, pairingNumber: pairingNumber, deadline: deadline)
            }
        }

        /// See ``EvolutionAPI/connect(instance:pairingNumber:deadline:)``.
        func connect(
            instance name: String, pairingNumber: PairingNumber?
        ) throws(APIError) -> Result<EvolutionConnectResult, EvolutionError> {
            try timed("connect") { upstream throws(EvolutionError) in
                try upstream.connect(instance: name, pairingNumber: pairingNumber, deadline: deadline)
            }
        }

        /// See ``EvolutionAPI/connectionState(instance:deadline:)``.
        func connectionState(
            instance name: String
        ) throws(APIError) -> Result<EvolutionConnectionState, EvolutionError> {
            try timed("connectionState") { upstream throws(EvolutionError) in
                try upstream.connectionState(instance: name, deadline: deadline)
            }
        }

        /// See ``EvolutionAPI/logout(instance:deadline:)``.
        func logout(instance name: String) throws(APIError) -> Result<EvolutionLogoutResult, EvolutionError> {
            try timed("logout") { upstream throws(EvolutionError) in
                try upstream.logout(instance: name, deadline: deadline)
            }
        }

        /// See ``EvolutionAPI/deleteInstance(named:deadline:)``.
        func deleteInstance(named name: String) throws(APIError) -> Result<Void, EvolutionError> {
            try timed("deleteInstance") { upstream throws(EvolutionError) in
                try upstream.deleteInstance(named: name, deadline: deadline)
            }
        }

        /// See ``EvolutionAPI/instanceSummary(named:deadline:)``.
        func instanceSummary(
            named name: String
        ) throws(APIError) -> Result<EvolutionInstanceSummary?, EvolutionError> {
            try timed("fetchInstances") { upstream throws(EvolutionError) in
                try upstream.instanceSummary(named: name, deadline: deadline)
            }
        }

        /// See ``EvolutionAPI/ensureWebhook(instance:deadline:)``.
        func ensureWebhook(instance name: String) throws(APIError) -> Result<Void, EvolutionError> {
            try timed("ensureWebhook") { upstream throws(EvolutionError) in
                try upstream.ensureWebhook(instance: name, deadline: deadline)
            }
        }

        /// Runs `call` on the server's upstream as it is now (a server disabled meanwhile refuses it) and records it
        /// as `evolution.<name>` with its outcome; throws instead, calling nothing, once the request no longer holds
        /// its lease.
        private func timed<Success>(
            _ name: String, _ call: (any EvolutionAPI) throws(EvolutionError) -> Success
        ) throws(APIError) -> Result<Success, EvolutionError> {
            try lease?.ensureHeld(context)
            let started = ContinuousClock.now
            let result = Result { () throws(EvolutionError) in try call(servers.upstream(on: server)) }
            let outcome =
                switch result {
                case .success: "ok"
                case .failure(let error): error.description
                }
            context.recordCall("evolution." + name, duration: .now - started, outcome: outcome)
            return result
        }
    }
}
