import HTTPServer
import JSON
import Logging
import Postgres

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
                try flow.whileHoldingLock(on: tenant) { () throws(APIError) in
                    try connectInstance(for: tenant, number: number, flow: flow)
                }
            }
            flow.audit(
                .connect, tenant: tenant, outcome: outcome.auditOutcome, instanceName: outcome.instanceName)
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
        let found = try unplaced.database("find") { () throws(PostgresError) in try dependencies.tenants.find(tenant) }
        guard let record = found else { throw APIError(.tenantNotFound) }
        if let name = record.instanceName, let createdAt = record.instanceCreatedAt {
            let flow = unplaced.on(serverOf: record)
            // A pushed QR code carries no pairing code: pairing-code mode always asks Evolution.
            if number == nil, let qrCode = try freshPushedQRCode(of: record, named: name, for: tenant, flow: flow) {
                return ConnectOutcome(kind: .reused, instanceName: name, qrCode: qrCode, createdAt: createdAt)
            }
            let state = flow.attemptUpstream("connectionState") { evolution, deadline throws(EvolutionError) in
                try evolution.connectionState(instance: name, deadline: deadline)
            }
            switch state {
            case .success(.open):
                try flow.recordObservedState(.open, of: name, for: tenant)
                throw APIError(.alreadyConnected)
            case .success(let state):
                try flow.recordObservedState(state, of: name, for: tenant)
                try ensureWebhook(of: name, flow: flow)
                let code = try awaitCode(
                    of: name, for: tenant, number: number, first: nil, running: state == .connecting, flow: flow)
                return ConnectOutcome(kind: .reused, instanceName: name, code: code, createdAt: createdAt)
            case .failure(.notFound):
                // Gone upstream (deleted by hand, or by Evolution's DEL_INSTANCE): start again with a new one, on the
                // same server (the place is the tenant's still).
                return try createOrAdoptInstance(for: tenant, number: number, flow: flow)
            case .failure(let error):
                throw flow.upstreamFailure(error)
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
            try flow.database("releasePlacement") { () throws(PostgresError) in
                try dependencies.tenants.releasePlacement(of: tenant, on: server)
            }
        }
        let server = try flow.database("place") { () throws(PostgresError) in try dependencies.tenants.place(tenant) }
        guard let server else {
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
    private func giveBackPlace(of tenant: TenantID, after error: APIError, flow: WhatsAppFlow) throws(APIError) {
        guard error.code != .databaseUnavailable else { return }
        _ = try? flow.database("releasePlacement") { () throws(PostgresError) in
            try dependencies.tenants.releasePlacement(of: tenant, on: flow.server)
        }
    }

    /// Creates `tenant_{id}` upstream and stores it; an instance of that name already there is adopted, never
    /// deleted. A create whose name cannot be stored is undone upstream (compensation) and answered 503.
    private func createOrAdoptInstance(
        for tenant: TenantID, number: PairingNumber?, flow: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome {
        let name = tenant.instanceName
        let created = flow.attemptUpstream("createInstance") { evolution, deadline throws(EvolutionError) in
            try evolution.createInstance(named: name, pairingNumber: number, deadline: deadline)
        }
        switch created {
        case .success(let instance):
            let createdAt = try storeCreatedInstance(instance, for: tenant, flow: flow)
            let code = try awaitCode(
                of: name, for: tenant, number: number, first: instance.qrCode, running: false, flow: flow)
            return ConnectOutcome(kind: .created, instanceName: name, code: code, createdAt: createdAt)
        case .failure(.nameInUse):
            return try adoptInstance(named: name, for: tenant, number: number, flow: flow)
        case .failure(let error):
            throw flow.upstreamFailure(error)
        }
    }

    private func storeCreatedInstance(
        _ instance: EvolutionCreatedInstance, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) -> String {
        do {
            return try flow.database("attachInstance") { () throws(PostgresError) in
                try dependencies.tenants.attachInstance(
                    instance.name, on: flow.server, status: instance.status, to: tenant)
            }
        } catch {
            let deleted = flow.attemptUpstream("deleteInstance") { evolution, deadline throws(EvolutionError) in
                try evolution.deleteInstance(named: instance.name, deadline: deadline)
            }
            let metadata: Logger.Metadata = [
                "instanceName": .string(instance.name), "requestId": .string(flow.context.requestID),
                "server": .string(flow.server.rawValue),
            ]
            if case .success = deleted {
                dependencies.logger.warning(
                    "instance deleted upstream: its name could not be stored", metadata: metadata)
                // Compensated: the place is free again (or freed by reconcile when PostgreSQL is still away).
                _ = try? dependencies.tenants.releasePlacement(of: tenant, on: flow.server)
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
        let state = try flow.upstream("connectionState") { evolution, deadline throws(EvolutionError) in
            try evolution.connectionState(instance: name, deadline: deadline)
        }
        let createdAt = try flow.database("attachInstance") { () throws(PostgresError) in
            try dependencies.tenants.attachInstance(name, on: flow.server, status: state, to: tenant)
        }
        if state == .open { throw APIError(.alreadyConnected) }
        try ensureWebhook(of: name, flow: flow)
        let code = try awaitCode(
            of: name, for: tenant, number: number, first: nil, running: state == .connecting, flow: flow)
        return ConnectOutcome(kind: .adopted, instanceName: name, code: code, createdAt: createdAt)
    }

    /// What the instance shows: its QR code (see ``awaitQRCode(of:for:first:flow:)``), or with `number` its pairing
    /// code (see ``awaitPairingCode(of:for:number:first:running:flow:)``). `running`: the instance was `connecting`.
    private func awaitCode(
        of name: String, for tenant: TenantID, number: PairingNumber?, first: EvolutionConnectResult?, running: Bool,
        flow: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome.Code {
        guard let number else { return .qrCode(try awaitQRCode(of: name, for: tenant, first: first, flow: flow)) }
        return try awaitPairingCode(of: name, for: tenant, number: number, first: first, running: running, flow: flow)
    }

    /// Pairing-code mode: `first` when it carries a pairing code, else `GET /instance/connect/{name}?number=` every
    /// poll interval until an answer carries one or `EVOLUTION_QR_WAIT_MS` passes (nil then: 202). Nil when none
    /// came in time; 409 when the phone connected meanwhile.
    ///
    /// Evolution heeds `number` only on an instance in `close`, and answers a `connecting` one its current QR object:
    /// that socket may be in QR mode (no pairing code) or pairing another number. A `running` instance, which never
    /// connected, is therefore logged out first (it goes to `close`, nothing is lost), so the code always comes from
    /// a socket started for this number. A QR code without a pairing code is not taken: the socket is still the old
    /// one (Evolution 2.3.6 answers a logout before it ends).
    private func awaitPairingCode(
        of name: String, for tenant: TenantID, number: PairingNumber, first: EvolutionConnectResult?, running: Bool,
        flow: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome.Code {
        if let first, let code = try Self.pairingCode(in: first) { return code }
        if running {
            _ = try flow.upstream("logout") { evolution, deadline throws(EvolutionError) in
                try evolution.logout(instance: name, deadline: deadline)
            }
        }
        let clock = dependencies.clock
        let interval = dependencies.settings.qrPollInterval
        let deadline = clock.now() + dependencies.settings.qrWait
        while true {
            let answer = try flow.upstream("connect") { evolution, deadline throws(EvolutionError) in
                try evolution.connect(instance: name, pairingNumber: number, deadline: deadline)
            }
            if case .state(.open) = answer {
                try flow.recordObservedState(.open, of: name, for: tenant)
                throw APIError(.alreadyConnected)
            }
            if let code = try Self.pairingCode(in: answer) { return code }
            guard clock.now() + interval < deadline else { return .pairing(nil, qrCode: nil) }
            try Self.stopIfAbandoned(flow)
            clock.pause(interval)
        }
    }

    /// The pairing code an answer carries, with the QR code that came with it; nil when it has none (pending, or a
    /// QR code of a socket in QR mode). A pairing code that is not 8 letters and digits is 502
    /// `upstream_bad_response`.
    private static func pairingCode(in answer: EvolutionConnectResult) throws(APIError) -> ConnectOutcome.Code? {
        let text: String?
        let qrCode: EvolutionQRCode?
        switch answer {
        case .qrCode(let shown):
            text = shown.pairingCode
            qrCode = shown
        case .pairingCode(let code):
            text = code
            qrCode = nil
        case .qrCodePending, .state:
            return nil
        }
        guard let text else { return nil }
        guard let code = PairingCode(evolution: text) else {
            throw APIError(upstream: .badResponse(.unexpectedShape(field: "$.pairingCode")))
        }
        return .pairing(code, qrCode: qrCode)
    }

    /// The instance's QR code: `first` when it carries one, else asked of `GET /instance/connect` every poll
    /// interval until it comes or `EVOLUTION_QR_WAIT_MS` passes (Evolution makes QR codes asynchronously and often
    /// answers `{"count":0}` at first); with webhooks, waited for in PostgreSQL instead (see
    /// ``awaitPushedQRCode(of:for:askFirst:flow:)``). Nil when none came in time; 409 when the phone connected
    /// meanwhile.
    private func awaitQRCode(
        of name: String, for tenant: TenantID, first: EvolutionConnectResult?, flow: WhatsAppFlow
    ) throws(APIError) -> EvolutionQRCode? {
        if case .qrCode(let qrCode) = first { return qrCode }
        if dependencies.settings.webhooks {
            // After a create the socket is starting and its QR code will be pushed; a reused instance may need
            // `/instance/connect` to start one.
            return try awaitPushedQRCode(of: name, for: tenant, askFirst: first == nil, flow: flow)
        }
        let clock = dependencies.clock
        let interval = dependencies.settings.qrPollInterval
        let deadline = clock.now() + dependencies.settings.qrWait
        while true {
            if let qrCode = try askForQRCode(of: name, for: tenant, flow: flow) { return qrCode }
            guard clock.now() + interval < deadline else { return nil }
            try Self.stopIfAbandoned(flow)
            clock.pause(interval)
        }
    }

    /// Waits for the QR code Evolution pushes (a cheap read of the tenant's row every few hundred milliseconds),
    /// asking Evolution itself only every ``FlowSettings/qrFallbackInterval``, in case a delivery was lost.
    private func awaitPushedQRCode(
        of name: String, for tenant: TenantID, askFirst: Bool, flow: WhatsAppFlow
    ) throws(APIError) -> EvolutionQRCode? {
        let clock = dependencies.clock
        let settings = dependencies.settings
        let deadline = clock.now() + settings.qrWait
        var nextAsk = askFirst ? clock.now() : clock.now() + settings.qrFallbackInterval
        while true {
            if clock.now() >= nextAsk {
                if let qrCode = try askForQRCode(of: name, for: tenant, flow: flow) { return qrCode }
                nextAsk = clock.now() + settings.qrFallbackInterval
            }
            let pushed = try flow.database("pushedQRCode") { () throws(PostgresError) in
                try dependencies.tenants.pushedQRCode(
                    of: name, for: tenant, maximumAge: FlowSettings.pushedQRMaximumAge)
            }
            if let pushed { return pushed }
            guard clock.now() + settings.pushedQRPollInterval < deadline else { return nil }
            try Self.stopIfAbandoned(flow)
            clock.pause(settings.pushedQRPollInterval)
        }
    }

    /// Stops a wait whose client went away (nginx closed the connection): no more Evolution calls, and the lease
    /// is given back at once by the caller's `defer`.
    private static func stopIfAbandoned(_ flow: WhatsAppFlow) throws(APIError) {
        guard flow.context.clientGone() else { return }
        flow.context.logMetadata["clientGone"] = .stringConvertible(true)
        throw APIError(.clientGone)
    }

    /// One `GET /instance/connect`: its QR code, nil while pending, 409 when already open.
    private func askForQRCode(
        of name: String, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError)
        -> EvolutionQRCode?
    {
        let answer = try flow.upstream("connect") { evolution, deadline throws(EvolutionError) in
            try evolution.connect(instance: name, pairingNumber: nil, deadline: deadline)
        }
        switch answer {
        case .qrCode(let qrCode):
            return qrCode
        case .state(.open):
            try flow.recordObservedState(.open, of: name, for: tenant)
            throw APIError(.alreadyConnected)
        case .qrCodePending, .pairingCode, .state:
            return nil
        }
    }

    /// With webhooks: a QR code pushed for the stored instance within the last 40 s (its socket is running, and
    /// the code still scannable), answered without asking Evolution anything. None once the instance is open.
    private func freshPushedQRCode(
        of record: TenantRecord, named name: String, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) -> EvolutionQRCode? {
        guard dependencies.settings.webhooks, record.status != .open else { return nil }
        return try flow.database("pushedQRCode") { () throws(PostgresError) in
            try dependencies.tenants.pushedQRCode(of: name, for: tenant, maximumAge: FlowSettings.pushedQRMaximumAge)
        }
    }

    /// With webhooks: makes a reused or adopted instance push its events to us.
    private func ensureWebhook(of name: String, flow: WhatsAppFlow) throws(APIError) {
        guard dependencies.settings.webhooks else { return }
        try flow.upstream("ensureWebhook") { evolution, deadline throws(EvolutionError) in
            try evolution.ensureWebhook(instance: name, deadline: deadline)
        }
    }
}
