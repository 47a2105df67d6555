import HTTPServer
import JSON
import Postgres

extension Application {
    /// `POST /api/tenants/{tenantId}/whatsapp/connect`: the tenant's instance and a QR code to scan.
    ///
    /// 201 created, 200 reused or adopted, 202 when Evolution had no QR code ready in time (call again),
    /// 409 `already_connected` or `operation_in_progress`. One connect or disconnect at a time per tenant, across
    /// every process (an advisory lock in PostgreSQL); never a transaction held across an upstream call.
    func connect(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        let tenant = try authorize(request, tenantID: parameters["tenantId"], context: context)
        try requireEmptyOrJSONObjectBody(request)
        do {
            let outcome = try whileHoldingLock(on: tenant, context: context) { () throws(APIError) in
                try connectInstance(for: tenant, context: context)
            }
            audit(
                .connect, tenant: tenant, outcome: outcome.auditOutcome, instanceName: outcome.instanceName,
                context: context)
            return WhatsAppResponses.connected(outcome, tenant: tenant)
        } catch {
            let alreadyConnected = error.code == .alreadyConnected
            audit(
                .connect, tenant: tenant, outcome: alreadyConnected ? "already_connected" : "failed", error: error,
                instanceName: alreadyConnected ? "tenant_" + tenant.rawValue : nil, context: context)
            throw error
        }
    }

    private func connectInstance(for tenant: TenantID, context: RequestContext) throws(APIError) -> ConnectOutcome {
        let found = try database("find", context: context) { () throws(PostgresError) in try store.find(tenant) }
        guard let record = found else { throw APIError(.tenantNotFound) }
        if let name = record.instanceName, let createdAt = record.instanceCreatedAt {
            let state = try attemptUpstream("connectionState", context: context) { client throws(EvolutionError) in
                try client.connectionState(instance: name)
            }
            switch state {
            case .success(.open):
                try recordObservedState(.open, of: name, for: tenant, context: context)
                throw APIError(.alreadyConnected)
            case .success(let state):
                try recordObservedState(state, of: name, for: tenant, context: context)
                let qrCode = try awaitQRCode(of: name, for: tenant, first: nil, context: context)
                return ConnectOutcome(kind: .reused, instanceName: name, qrCode: qrCode, createdAt: createdAt)
            case .failure(.notFound):
                // Gone upstream (deleted by hand, or by Evolution's DEL_INSTANCE): start again with a new one.
                break
            case .failure(let error):
                throw upstreamFailure(error)
            }
        }
        return try createOrAdoptInstance(for: tenant, context: context)
    }

    /// Creates `tenant_{id}` upstream and stores it; an instance of that name already there is adopted, never
    /// deleted. A create whose name cannot be stored is undone upstream (compensation) and answered 503.
    private func createOrAdoptInstance(
        for tenant: TenantID, context: RequestContext
    ) throws(APIError) -> ConnectOutcome {
        let name = "tenant_" + tenant.rawValue
        let created = try attemptUpstream("createInstance", context: context) { client throws(EvolutionError) in
            try client.createInstance(named: name)
        }
        switch created {
        case .success(let instance):
            let createdAt = try storeCreatedInstance(instance, for: tenant, context: context)
            let qrCode = try awaitQRCode(of: name, for: tenant, first: instance.qrCode, context: context)
            return ConnectOutcome(kind: .created, instanceName: name, qrCode: qrCode, createdAt: createdAt)
        case .failure(.nameInUse):
            return try adoptInstance(named: name, for: tenant, context: context)
        case .failure(let error):
            throw upstreamFailure(error)
        }
    }

    private func storeCreatedInstance(
        _ instance: EvolutionCreatedInstance, for tenant: TenantID, context: RequestContext
    ) throws(APIError) -> String {
        do {
            return try database("attachInstance", context: context) { () throws(PostgresError) in
                try store.attachInstance(instance.name, status: instance.status, to: tenant)
            }
        } catch {
            let deleted = try? attemptUpstream("deleteInstance", context: context) { client throws(EvolutionError) in
                try client.deleteInstance(named: instance.name)
            }
            if case .success = deleted {
                logger.warning(
                    "instance deleted upstream: its name could not be stored",
                    metadata: ["instanceName": .string(instance.name), "requestId": .string(context.requestID)])
            } else {
                // Left upstream without a row: the next connect adopts it (403 "already in use"), never duplicates it.
                logger.error(
                    "compensation failed: instance left upstream without a row; the next connect adopts it",
                    metadata: ["instanceName": .string(instance.name), "requestId": .string(context.requestID)])
            }
            throw error
        }
    }

    /// An instance of our name exists upstream but not in the database: take it over as it is.
    private func adoptInstance(
        named name: String, for tenant: TenantID, context: RequestContext
    ) throws(APIError) -> ConnectOutcome {
        let state = try upstream("connectionState", context: context) { client throws(EvolutionError) in
            try client.connectionState(instance: name)
        }
        let createdAt = try database("attachInstance", context: context) { () throws(PostgresError) in
            try store.attachInstance(name, status: state, to: tenant)
        }
        if state == .open { throw APIError(.alreadyConnected) }
        let qrCode = try awaitQRCode(of: name, for: tenant, first: nil, context: context)
        return ConnectOutcome(kind: .adopted, instanceName: name, qrCode: qrCode, createdAt: createdAt)
    }

    /// The instance's QR code: `first` when it carries one, else asked of `GET /instance/connect` every 500 ms
    /// until it comes or `EVOLUTION_QR_WAIT_MS` passes (Evolution makes QR codes asynchronously and often answers
    /// `{"count":0}` at first). Nil when none came in time; 409 when the phone connected meanwhile.
    private func awaitQRCode(
        of name: String, for tenant: TenantID, first: EvolutionConnectResult?, context: RequestContext
    ) throws(APIError) -> EvolutionQRCode? {
        if case .qrCode(let qrCode) = first { return qrCode }
        let deadline = ContinuousClock.now + .milliseconds(configuration.qrWaitMilliseconds)
        while true {
            let answer = try upstream("connect", context: context) { client throws(EvolutionError) in
                try client.connect(instance: name)
            }
            switch answer {
            case .qrCode(let qrCode):
                return qrCode
            case .state(.open):
                try recordObservedState(.open, of: name, for: tenant, context: context)
                throw APIError(.alreadyConnected)
            case .qrCodePending, .state:
                break
            }
            guard ContinuousClock.now + .milliseconds(Self.qrPollIntervalMilliseconds) < deadline else { return nil }
            pause(milliseconds: Self.qrPollIntervalMilliseconds)
        }
    }

    private static let qrPollIntervalMilliseconds = 500

    /// The body of connect is optional; when present it must be a JSON object (415 / 400 otherwise).
    private func requireEmptyOrJSONObjectBody(_ request: HTTPRequest) throws(APIError) {
        guard !request.body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return }
        let mediaType = request.headers["content-type"]?.split(separator: ";").first
            .map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
        guard mediaType == "application/json" else { throw APIError(.unsupportedMediaType) }
        guard case .object = try? JSONParser().parse(request.body) else { throw APIError(.invalidBody) }
    }
}
