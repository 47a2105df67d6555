import HTTPServer

/// `GET /api/tenants/{tenantId}/whatsapp/status`: Evolution's state of the tenant's instance.
///
/// The state is recorded in the database (and when it opened); a change of state adds an audit row. A stored
/// instance that Evolution no longer knows is forgotten, so the next connect starts clean: `not_created`.
/// Concurrent checks of one tenant in this process share one upstream call and its answer.
struct StatusHandler: RouteHandler {
    let dependencies: WhatsAppDependencies

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        let tenant = try dependencies.authorizer.authorize(request, tenantID: parameters["tenantId"], context: context)
        let unplaced = WhatsAppFlow(dependencies, context: context, budget: dependencies.settings.statusBudget)
        guard let record = try unplaced.tenants.find(tenant) else { throw APIError(.tenantNotFound) }
        guard let name = record.instanceName else {
            return WhatsAppResponses.notCreated(
                tenant: tenant, lastCheck: dependencies.clock.timestamp(), details: record.details)
        }
        let flow = unplaced.on(serverOf: record)
        // A disabled server's tenants learn it at once, even from a recorded state: nothing can change it now.
        if dependencies.servers.state(of: flow.server) == .disabled {
            throw APIError(upstream: .serverUnavailable)
        }
        if let fresh = Self.freshState(of: record, maximumAge: dependencies.settings.statusMaxAge) {
            context.logMetadata["answeredFrom"] = "database"
            return WhatsAppResponses.status(
                fresh.state, instanceName: name, tenant: tenant, lastCheck: fresh.checkedAt, details: record.details)
        }
        let shared = dependencies.statusChecks.run(tenant, deadline: flow.deadline) {
            Result { () throws(APIError) in
                try flow.withinTenantCap(tenant) { () throws(APIError) in
                    try check(name, of: tenant, known: record, flow: flow)
                }
            }
        }
        let result: Result<StatusCheck, APIError>
        switch shared {
        case .led(let outcome): result = outcome
        case .joined(let outcome):
            context.logMetadata["sharedCheck"] = .stringConvertible(true)
            result = outcome
        case .timedOut: throw APIError(.upstreamTimeout)
        }
        switch try result.get() {
        case .observed(let state, let instanceName, let checkedAt, let details):
            return WhatsAppResponses.status(
                state, instanceName: instanceName, tenant: tenant, lastCheck: checkedAt, details: details)
        case .gone:
            return WhatsAppResponses.notCreated(
                tenant: tenant, lastCheck: dependencies.clock.timestamp(), details: record.details)
        }
    }

    /// The recorded state when it was observed (by a check or a pushed event) less than `maximumAge` ago.
    static func freshState(
        of record: TenantRecord, maximumAge: Duration
    ) -> (state: EvolutionConnectionState, checkedAt: String)? {
        guard maximumAge > .zero, let state = record.status, let checkedAt = record.checkedAt,
            let age = record.checkedAgeMilliseconds, Duration.milliseconds(age) < maximumAge
        else { return nil }
        return (state, checkedAt)
    }

    /// What polling learns beyond the state (docs/api.md, "Who is connected, and why it dropped"): on an `open`
    /// whose account is not recorded yet, the account from one `fetchInstances?instanceName=` call (a failure is
    /// only on the log line: status still answers `open`, and a later check tries again); on a `close` that has
    /// lasted ``FlowSettings/closeGrace`` with no reason recorded for it, `connection_lost`, without a code, since
    /// polling sees none. A shorter close is the restart after a scan and gets nothing.
    private func learn(
        about state: EvolutionConnectionState, of name: String, known record: TenantRecord, flow: WhatsAppFlow
    ) throws(APIError) -> ConnectionDetail {
        switch state {
        case .open where record.details.account == nil:
            guard case .success(let summary?) = try flow.evolution.attempt.instanceSummary(named: name),
                let jid = summary.ownerJID, !jid.isEmpty
            else { return .none }
            let account = ConnectedAccount(jid: jid, name: summary.profileName.flatMap { $0.isEmpty ? nil : $0 })
            // The log line carries the number's last four digits at most (docs/api.md).
            flow.context.logMetadata["account"] = .string(account.masked)
            return ConnectionDetail(account: account)
        case .close where record.status == .close && record.details.lastDisconnection == nil:
            guard let closedFor = record.closedAgeMilliseconds,
                Duration.milliseconds(closedFor) >= dependencies.settings.closeGrace
            else { return .none }
            return ConnectionDetail(reason: .connectionLost)
        default:
            return .none
        }
    }

    /// Asks Evolution for the instance's state and records what it says.
    private func check(
        _ name: String, of tenant: TenantID, known record: TenantRecord, flow: WhatsAppFlow
    ) throws(APIError) -> StatusCheck {
        switch try flow.evolution.attempt.connectionState(instance: name) {
        case .success(let state):
            let detail = try learn(about: state, of: name, known: record, flow: flow)
            let recorded = try flow.recordObservedState(state, of: name, for: tenant, known: record, detail: detail)
            return .observed(state, instanceName: name, checkedAt: recorded.checkedAt, details: recorded.details)
        case .failure(.notFound):
            // Only the instance this request read: a disconnect and a new connect may have replaced it meanwhile,
            // and the new one must not be forgotten because the old one is gone.
            if try flow.tenants.detachInstance(name, from: tenant, generation: record.generation) {
                flow.audit(.stateChange, tenant: tenant, outcome: "instance_gone", instanceName: name)
            }
            return .gone
        case .failure(let error):
            throw flow.evolution.failure(error)
        }
    }
}
