import HTTPServer
import JSON
import Logging
import Postgres

/// `POST /api/tenants/{tenantId}/whatsapp/connect`: the tenant's instance and a QR code to scan.
///
/// 201 created, 200 reused or adopted, 202 when Evolution had no QR code ready in time (call again), 409
/// `already_connected` or `operation_in_progress`. One connect or disconnect at a time per tenant, across every
/// process (a lease in PostgreSQL); no database connection is held across an upstream call.
struct ConnectHandler: RouteHandler {
    let dependencies: WhatsAppDependencies

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        let tenant = try dependencies.authorizer.authorize(request, tenantID: parameters["tenantId"], context: context)
        try Self.requireEmptyOrJSONObjectBody(request)
        let flow = WhatsAppFlow(dependencies, context: context, budget: dependencies.settings.operationBudget)
        do {
            let outcome = try flow.withinTenantCap(tenant) { () throws(APIError) in
                try flow.whileHoldingLock(on: tenant) { () throws(APIError) in
                    try connectInstance(for: tenant, flow: flow)
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

    private func connectInstance(for tenant: TenantID, flow: WhatsAppFlow) throws(APIError) -> ConnectOutcome {
        let found = try flow.database("find") { () throws(PostgresError) in try dependencies.tenants.find(tenant) }
        guard let record = found else { throw APIError(.tenantNotFound) }
        if let name = record.instanceName, let createdAt = record.instanceCreatedAt {
            if let qrCode = try freshPushedQRCode(of: record, named: name, for: tenant, flow: flow) {
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
                let qrCode = try awaitQRCode(of: name, for: tenant, first: nil, flow: flow)
                return ConnectOutcome(kind: .reused, instanceName: name, qrCode: qrCode, createdAt: createdAt)
            case .failure(.notFound):
                // Gone upstream (deleted by hand, or by Evolution's DEL_INSTANCE): start again with a new one.
                break
            case .failure(let error):
                throw flow.upstreamFailure(error)
            }
        }
        return try createOrAdoptInstance(for: tenant, flow: flow)
    }

    /// Creates `tenant_{id}` upstream and stores it; an instance of that name already there is adopted, never
    /// deleted. A create whose name cannot be stored is undone upstream (compensation) and answered 503.
    private func createOrAdoptInstance(for tenant: TenantID, flow: WhatsAppFlow) throws(APIError) -> ConnectOutcome {
        let name = tenant.instanceName
        let created = flow.attemptUpstream("createInstance") { evolution, deadline throws(EvolutionError) in
            try evolution.createInstance(named: name, deadline: deadline)
        }
        switch created {
        case .success(let instance):
            let createdAt = try storeCreatedInstance(instance, for: tenant, flow: flow)
            let qrCode = try awaitQRCode(of: name, for: tenant, first: instance.qrCode, flow: flow)
            return ConnectOutcome(kind: .created, instanceName: name, qrCode: qrCode, createdAt: createdAt)
        case .failure(.nameInUse):
            return try adoptInstance(named: name, for: tenant, flow: flow)
        case .failure(let error):
            throw flow.upstreamFailure(error)
        }
    }

    private func storeCreatedInstance(
        _ instance: EvolutionCreatedInstance, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) -> String {
        do {
            return try flow.database("attachInstance") { () throws(PostgresError) in
                try dependencies.tenants.attachInstance(instance.name, status: instance.status, to: tenant)
            }
        } catch {
            let deleted = flow.attemptUpstream("deleteInstance") { evolution, deadline throws(EvolutionError) in
                try evolution.deleteInstance(named: instance.name, deadline: deadline)
            }
            let metadata: Logger.Metadata = [
                "instanceName": .string(instance.name), "requestId": .string(flow.context.requestID),
            ]
            if case .success = deleted {
                dependencies.logger.warning(
                    "instance deleted upstream: its name could not be stored", metadata: metadata)
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
        named name: String, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome {
        let state = try flow.upstream("connectionState") { evolution, deadline throws(EvolutionError) in
            try evolution.connectionState(instance: name, deadline: deadline)
        }
        let createdAt = try flow.database("attachInstance") { () throws(PostgresError) in
            try dependencies.tenants.attachInstance(name, status: state, to: tenant)
        }
        if state == .open { throw APIError(.alreadyConnected) }
        try ensureWebhook(of: name, flow: flow)
        let qrCode = try awaitQRCode(of: name, for: tenant, first: nil, flow: flow)
        return ConnectOutcome(kind: .adopted, instanceName: name, qrCode: qrCode, createdAt: createdAt)
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
            try evolution.connect(instance: name, deadline: deadline)
        }
        switch answer {
        case .qrCode(let qrCode):
            return qrCode
        case .state(.open):
            try flow.recordObservedState(.open, of: name, for: tenant)
            throw APIError(.alreadyConnected)
        case .qrCodePending, .state:
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

    /// The body of connect is optional; when present it must be a JSON object (415 / 400 otherwise).
    private static func requireEmptyOrJSONObjectBody(_ request: HTTPRequest) throws(APIError) {
        guard !request.body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return }
        let mediaType = request.headers["content-type"]?.split(separator: ";").first
            .map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
        guard mediaType == "application/json" else { throw APIError(.unsupportedMediaType) }
        guard case .object = try? JSONParser().parse(request.body) else { throw APIError(.invalidBody) }
    }
}
