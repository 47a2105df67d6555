import HTTPServer
import Logging

/// `POST /api/tenants/{tenantId}/whatsapp/connect`: the tenant's instance and a QR code to scan, or with
/// `{"number":"5511999999999"}` a pairing code to type on that phone as well.
///
/// 201 created, 200 reused or adopted, 202 when Evolution had no code ready in time (call again), 409
/// `already_connected` or `operation_in_progress`. One connect or disconnect at a time per tenant, across every
/// process (a lease in PostgreSQL); no database connection is held across an upstream call.
struct ConnectHandler: RouteHandler {
    let dependencies: WhatsAppDependencies

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        let tenant = try dependencies.authorizer.authorize(request, tenantID: parameters["tenantId"], context: context)
        let number = try ConnectRequest(request).pairingNumber
        if let number {
            // The last four digits at most: the number itself is never logged, nor stored.
            context.logMetadata["pairingNumber"] = .string(number.description)
        }
        let flow = WhatsAppFlow(dependencies, context: context, budget: dependencies.settings.operationBudget)
        do {
            let outcome = try flow.withinTenantCap(tenant) { () throws(APIError) in
                try flow.whileHoldingLock(on: tenant) { held throws(APIError) in
                    try connectInstance(for: tenant, number: number, flow: held)
                }
            }
            let entry = flow.auditEntry(
                .connect, tenant: tenant, outcome: outcome.auditOutcome, instanceName: outcome.instanceName)
            if outcome.isPending {
                dependencies.audit.record(entry)
            } else {
                // One event per connect that handed out a code, not one per QR rotation (docs/event-webhooks.md).
                dependencies.audit.record(
                    entry, announcing: outcome.pairing ? .pairingCode : .qrCode,
                    qrCodeImage: outcome.qrCode?.pngDataURL)
            }
            // The QR code handed out is the event stream's news too (a reused instance's row may not have changed).
            if !outcome.isPending, let qrCode = outcome.qrCode?.pngDataURL {
                dependencies.publisher.publish(tenant, qrCode: qrCode)
            }
            return WhatsAppResponses.connected(outcome, tenant: tenant)
        } catch {
            let outcome =
                switch error.code {
                case .alreadyConnected: "already_connected"
                case .clientGone: "abandoned"
                default: "failed"
                }
            flow.audit(
                .connect, tenant: tenant, outcome: outcome, error: error,
                instanceName: error.code == .alreadyConnected || error.code == .clientGone ? tenant.instanceName : nil)
            throw error
        }
    }

    private func connectInstance(
        for tenant: TenantID, number: PairingNumber?, flow unplaced: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome {
        guard let record = try unplaced.tenants.find(tenant) else { throw APIError(.tenantNotFound) }
        if let name = record.instanceName, let createdAt = record.instanceCreatedAt {
            let flow = unplaced.on(serverOf: record)
            // A pushed QR code carries no pairing code: pairing-code mode always asks Evolution.
            if number == nil, let qrCode = try freshPushedQRCode(of: record, named: name, for: tenant, flow: flow) {
                try forgetConnectionDetails(of: record, named: name, for: tenant, flow: flow)
                return ConnectOutcome(kind: .reused, instanceName: name, qrCode: qrCode, createdAt: createdAt)
            }
            switch try flow.evolution.attempt.connectionState(instance: name) {
            case .success(.open):
                try flow.recordObservedState(.open, of: name, for: tenant)
                throw APIError(.alreadyConnected)
            case .success(let state):
                try flow.recordObservedState(state, of: name, for: tenant)
                try forgetConnectionDetails(of: record, named: name, for: tenant, flow: flow)
                try ensureWebhook(of: name, flow: flow)
                let code = try awaitCode(
                    of: name, for: tenant, number: number, first: nil, running: state == .connecting, flow: flow)
                try recordConnecting(afterHandingOut: code, recorded: state, of: name, for: tenant, flow: flow)
                return ConnectOutcome(kind: .reused, instanceName: name, code: code, createdAt: createdAt)
            case .failure(.notFound):
                // Gone upstream (deleted by hand, or by Evolution's DEL_INSTANCE): start again with a new one, on the
                // same server (the place is the tenant's still).
                return try createOrAdoptInstance(for: tenant, number: number, flow: flow)
            case .failure(let error):
                throw flow.evolution.failure(error)
            }
        }
        let flow = try placed(tenant, record: record, flow: unplaced)
        do {
            return try createOrAdoptInstance(for: tenant, number: number, flow: flow)
        } catch {
            try giveBackPlace(of: tenant, after: error, flow: flow)
            throw error
        }
    }

    /// The flow on the server the tenant is placed on: its place already (a connect interrupted before it stored its
    /// instance, which the create then adopts), else a new one on the least loaded active server with room; 503
    /// `capacity_exhausted` when there is none. A place on a server that has since been disabled is given back first.
    private func placed(_ tenant: TenantID, record: TenantRecord, flow: WhatsAppFlow) throws(APIError) -> WhatsAppFlow {
        if let server = record.server {
            guard dependencies.servers.state(of: server) == .disabled else { return flow.on(server) }
            try flow.tenants.releasePlacement(of: tenant, on: server)
        }
        guard let server = try flow.tenants.place(tenant) else {
            flow.context.logMetadata["placement"] = "capacity_exhausted"
            throw APIError.capacityExhausted()
        }
        return flow.on(server)
    }

    /// Gives back the place a failed create took: the row is as it was before the request (a create that went through
    /// after all is an orphan the next connect on that server, or `reconcile`, adopts). Not after a PostgreSQL failure:
    /// the instance may exist upstream (a compensation that failed), and the next connect adopts it on the same
    /// server; `reconcile` gives the place back if it does not. A place that cannot be given back now is given back by
    /// `reconcile` too.
    ///
    /// Nor once the lease is lost (the tenant is someone else's operation now): the write is refused then, and the place
    /// stays for that operation or `reconcile`.
    private func giveBackPlace(of tenant: TenantID, after error: APIError, flow: WhatsAppFlow) throws(APIError) {
        guard error.code != .databaseUnavailable else { return }
        _ = try? flow.tenants.releasePlacement(of: tenant, on: flow.server)
    }

    /// Creates `tenant_{id}` upstream and stores it; an instance of that name already there is adopted, never
    /// deleted. A create whose name cannot be stored is undone upstream (compensation) and answered 503.
    private func createOrAdoptInstance(
        for tenant: TenantID, number: PairingNumber?, flow: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome {
        let name = tenant.instanceName
        switch try flow.evolution.attempt.createInstance(named: name, pairingNumber: number) {
        case .success(let instance):
            let createdAt = try storeCreatedInstance(instance, for: tenant, flow: flow)
            let code = try awaitCode(
                of: name, for: tenant, number: number, first: instance.qrCode, running: false, flow: flow)
            return ConnectOutcome(kind: .created, instanceName: name, code: code, createdAt: createdAt)
        case .failure(.nameInUse):
            return try adoptInstance(named: name, for: tenant, number: number, flow: flow)
        case .failure(let error):
            throw flow.evolution.failure(error)
        }
    }

    private func storeCreatedInstance(
        _ instance: EvolutionCreatedInstance, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) -> String {
        do {
            return try flow.tenants.attachInstance(instance.name, on: flow.server, status: instance.status, to: tenant)
        } catch {
            let metadata: Logger.Metadata = [
                "instanceName": .string(instance.name), "requestId": .string(flow.context.requestID),
                "server": .string(flow.server.rawValue),
            ]
            // A lease lost meanwhile is someone else's now, who may be adopting this very instance: never deleted then
            // (no upstream call is made without the lease anyway). Left for them, the next connect or reconcile.
            guard flow.lease?.loss == nil else {
                dependencies.logger.warning(
                    "operation lease lost before the instance was stored: left upstream for whoever connects next",
                    metadata: metadata)
                throw error
            }
            let deleted = try? flow.evolution.attempt.deleteInstance(named: instance.name)
            if case .success? = deleted {
                dependencies.logger.warning(
                    "instance deleted upstream: its name could not be stored", metadata: metadata)
                // Compensated: the place is free again (or freed by reconcile when PostgreSQL is still away).
                _ = try? flow.tenants.base.releasePlacement(of: tenant, on: flow.server)
            } else {
                // Left upstream without a row: the next connect adopts it (403 "already in use"), never duplicates it.
                dependencies.logger.error(
                    "compensation failed: instance left upstream without a row; the next connect adopts it",
                    metadata: metadata)
            }
            throw error
        }
    }

    /// An instance of our name exists upstream but not in the database: take it over as it is.
    private func adoptInstance(
        named name: String, for tenant: TenantID, number: PairingNumber?, flow: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome {
        let state = try flow.evolution.connectionState(instance: name)
        let createdAt = try flow.tenants.attachInstance(name, on: flow.server, status: state, to: tenant)
        if state == .open { throw APIError(.alreadyConnected) }
        try ensureWebhook(of: name, flow: flow)
        let code = try awaitCode(
            of: name, for: tenant, number: number, first: nil, running: state == .connecting, flow: flow)
        try recordConnecting(afterHandingOut: code, recorded: state, of: name, for: tenant, flow: flow)
        return ConnectOutcome(kind: .adopted, instanceName: name, code: code, createdAt: createdAt)
    }

    /// A code handed out for an instance recorded `close` means Evolution started its socket again: `connecting` is
    /// recorded at once, so that status says so and the tenant's `whatsapp.connecting` event comes before the code's
    /// (docs/event-webhooks.md), not after it when Evolution's own `connection.update` arrives.
    private func recordConnecting(
        afterHandingOut code: ConnectOutcome.Code, recorded state: EvolutionConnectionState, of name: String,
        for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) {
        guard state == .close else { return }
        switch code {
        case .qrCode(nil), .pairing(nil, _): return
        case .qrCode, .pairing: _ = try flow.recordObservedState(.connecting, of: name, for: tenant)
        }
    }

    /// With webhooks: a QR code pushed for the stored instance within the last 40 s (its socket is running, and
    /// the code still scannable), answered without asking Evolution anything. None once the instance is open.
    private func freshPushedQRCode(
        of record: TenantRecord, named name: String, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) -> EvolutionQRCode? {
        guard dependencies.settings.webhooks, record.status != .open else { return nil }
        return try flow.tenants.pushedQRCode(of: name, for: tenant)
    }

    /// A connect that reuses the instance starts a new connection: the account and the last disconnection recorded
    /// for the previous one are no longer shown (a create or adoption clears them in its attach statement).
    private func forgetConnectionDetails(
        of record: TenantRecord, named name: String, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) {
        guard record.details != .none else { return }
        try flow.tenants.clearConnectionDetails(of: name, for: tenant)
    }

    /// With webhooks: makes a reused or adopted instance push its events to us.
    private func ensureWebhook(of name: String, flow: WhatsAppFlow) throws(APIError) {
        guard dependencies.settings.webhooks else { return }
        try flow.evolution.ensureWebhook(instance: name)
    }
}
