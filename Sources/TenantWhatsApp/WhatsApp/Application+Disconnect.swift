import HTTPServer
import Postgres

extension Application {
    /// `DELETE /api/tenants/{tenantId}/whatsapp/disconnect`: deletes the tenant's instance upstream, then forgets
    /// it, so that another number can be connected.
    ///
    /// Evolution 2.x logs an open instance out itself on delete; a server that demands a logout first (v1's 400
    /// "needs to be disconnected") gets one. An instance already gone upstream is still forgotten (200). When
    /// Evolution fails, the database row stays as it was: nothing is forgotten that still exists.
    func disconnect(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        let tenant = try authorize(request, tenantID: parameters["tenantId"], context: context)
        var instanceName: String?
        do {
            let outcome = try whileHoldingLock(on: tenant, context: context) { () throws(APIError) in
                let found = try database("find", context: context) { () throws(PostgresError) in
                    try store.find(tenant)
                }
                guard let record = found else { throw APIError(.tenantNotFound) }
                guard let name = record.instanceName else { throw APIError(.instanceNotFound) }
                instanceName = name
                let outcome = try deleteInstance(named: name, context: context)
                try database("detachInstance", context: context) { () throws(PostgresError) in
                    try store.detachInstance(name, from: tenant)
                }
                return outcome
            }
            audit(.disconnect, tenant: tenant, outcome: outcome, instanceName: instanceName, context: context)
            return WhatsAppResponses.disconnected(
                tenant: tenant, instanceName: instanceName ?? "", at: Timestamp.now().description)
        } catch {
            audit(
                .disconnect, tenant: tenant, outcome: "failed", error: error, instanceName: instanceName,
                context: context)
            throw error
        }
    }

    /// Deletes `name` upstream; returns `disconnected`, or `already_gone` when Evolution no longer knew it.
    private func deleteInstance(named name: String, context: RequestContext) throws(APIError) -> String {
        let deleted = try attemptUpstream("deleteInstance", context: context) { client throws(EvolutionError) in
            try client.deleteInstance(named: name)
        }
        switch deleted {
        case .success:
            return "disconnected"
        case .failure(.notFound):
            return "already_gone"
        case .failure(.needsLogout):
            _ = try upstream("logout", context: context) { client throws(EvolutionError) in
                try client.logout(instance: name)
            }
            try upstream("deleteInstance", context: context) { client throws(EvolutionError) in
                try client.deleteInstance(named: name)
            }
            return "disconnected"
        case .failure(let error):
            throw upstreamFailure(error)
        }
    }
}
