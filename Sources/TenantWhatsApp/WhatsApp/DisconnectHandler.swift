import HTTPServer

/// `DELETE /api/tenants/{tenantId}/whatsapp/disconnect`: deletes the tenant's instance upstream, then forgets it,
/// so that another number can be connected.
///
/// Evolution 2.x logs an open instance out itself on delete; a server that demands a logout first (v1's 400 "needs
/// to be disconnected") gets one. An instance already gone upstream is still forgotten (200). When Evolution fails,
/// the database row stays as it was: nothing is forgotten that still exists.
struct DisconnectHandler: RouteHandler {
    let dependencies: WhatsAppDependencies

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        let tenant = try dependencies.authorizer.authorize(request, tenantID: parameters["tenantId"], context: context)
        let flow = WhatsAppFlow(dependencies, context: context, budget: dependencies.settings.operationBudget)
        var instanceName: String?
        do {
            let outcome = try flow.withinTenantCap(tenant) { () throws(APIError) in
                try flow.whileHoldingLock(on: tenant) { held throws(APIError) in
                    guard let record = try held.tenants.find(tenant) else { throw APIError(.tenantNotFound) }
                    guard let name = record.instanceName else { throw APIError(.instanceNotFound) }
                    instanceName = name
                    let placed = held.on(serverOf: record)
                    if dependencies.servers.state(of: placed.server) == .disabled {
                        // The server gets no call: the name is cleared here and the instance remembered, for
                        // `reconcile` to delete once the server is back; the tenant can connect elsewhere now.
                        try placed.tenants.detachInstance(
                            name, from: tenant, generation: record.generation, deleteLaterOn: placed.server,
                            reason: .user)
                        return "deletion_deferred"
                    }
                    // Evolution pushes the logout and removal this delete causes: they are recorded as ours.
                    try placed.tenants.recordDisconnectRequested(
                        of: name, for: tenant, generation: record.generation)
                    let outcome: String
                    do throws(APIError) {
                        outcome = try deleteInstance(named: name, from: placed.evolution)
                    } catch {
                        try? placed.tenants.withdrawDisconnectRequest(of: name, for: tenant)
                        throw error
                    }
                    try placed.tenants.detachInstance(
                        name, from: tenant, generation: record.generation, reason: .user)
                    return outcome
                }
            }
            flow.audit(.disconnect, tenant: tenant, outcome: outcome, instanceName: instanceName)
            return WhatsAppResponses.disconnected(
                tenant: tenant, instanceName: instanceName ?? "", at: dependencies.clock.timestamp())
        } catch {
            flow.audit(.disconnect, tenant: tenant, outcome: "failed", error: error, instanceName: instanceName)
            throw error
        }
    }

    /// Deletes `name` upstream; returns `disconnected`, or `already_gone` when Evolution no longer knew it.
    private func deleteInstance(named name: String, from evolution: TimedEvolution) throws(APIError) -> String {
        switch try evolution.attempt.deleteInstance(named: name) {
        case .success:
            return "disconnected"
        case .failure(.notFound):
            return "already_gone"
        case .failure(.needsLogout):
            try evolution.logout(instance: name)
            try evolution.deleteInstance(named: name)
            return "disconnected"
        case .failure(let error):
            throw evolution.failure(error)
        }
    }
}
