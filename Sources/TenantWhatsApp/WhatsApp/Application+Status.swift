import HTTPServer
import Postgres

extension Application {
    /// `GET /api/tenants/{tenantId}/whatsapp/status`: Evolution's state of the tenant's instance.
    ///
    /// The state is recorded in the database (and when it opened); a change of state adds an audit row. A stored
    /// instance that Evolution no longer knows is forgotten, so the next connect starts clean: `not_created`.
    func status(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        let tenant = try authorize(request, tenantID: parameters["tenantId"], context: context)
        let found = try database("find", context: context) { () throws(PostgresError) in try store.find(tenant) }
        guard let record = found else { throw APIError(.tenantNotFound) }
        guard let name = record.instanceName else {
            return WhatsAppResponses.notCreated(tenant: tenant, lastCheck: Timestamp.now().description)
        }
        let state = try attemptUpstream("connectionState", context: context) { client throws(EvolutionError) in
            try client.connectionState(instance: name)
        }
        switch state {
        case .success(let state):
            let checkedAt = try recordObservedState(state, of: name, for: tenant, context: context)
            return WhatsAppResponses.status(state, instanceName: name, tenant: tenant, lastCheck: checkedAt)
        case .failure(.notFound):
            let detached = try database("detachInstance", context: context) { () throws(PostgresError) in
                try store.detachInstance(name, from: tenant)
            }
            if detached {
                audit(.stateChange, tenant: tenant, outcome: "instance_gone", instanceName: name, context: context)
            }
            return WhatsAppResponses.notCreated(tenant: tenant, lastCheck: Timestamp.now().description)
        case .failure(let error):
            throw upstreamFailure(error)
        }
    }

    /// Records `state` as observed for the tenant's instance `name`, with an audit row when it changed; returns
    /// the check time (ISO 8601).
    @discardableResult
    func recordObservedState(
        _ state: EvolutionConnectionState, of name: String, for tenant: TenantID, context: RequestContext
    ) throws(APIError) -> String {
        let recorded = try database("recordState", context: context) { () throws(PostgresError) in
            try store.recordState(state, of: name, for: tenant)
        }
        guard let recorded else { return Timestamp.now().description }
        if recorded.previous != state {
            audit(.stateChange, tenant: tenant, outcome: state.rawValue, instanceName: name, context: context)
        }
        return recorded.checkedAt
    }
}
