import HTTPServer
import JSON
import JWT
import Logging
import Runtime

/// `POST /api/evolution/webhook[/{serverId}]`: what an Evolution server pushes about our instances, recorded as a
/// status check would. The route without a server is `default`'s.
///
/// The bearer token (Evolution's `jwt_key` JWT: HS256 with the server's own webhook secret, `EVOLUTION_WEBHOOK_SECRET`
/// for `default`; `app` `evolution`, `action` `webhook`) is verified before anything else; 401 otherwise (also for a
/// server this service does not know), which Evolution does not retry. A delivery about an instance placed on another
/// server than the one it was signed for changes nothing: answered, audited (`webhook`, `ignored_other_server`) and
/// ignored. Events about an
/// instance no tenant has are answered 200 and ignored, so Evolution does not retry them either.
///
/// Evolution's `date_time` is its host's local wall-clock time with a `Z` stuck on: it is read strictly and checked
/// against this host's clock in Swift, before any SQL (400 `invalid_body` when it is missing, no real instant, or
/// explained by no time zone), then converted to UTC with the offset this process learned for the delivering server
/// (``EvolutionServerClocks``). Deliveries can repeat and arrive out of order, late or replayed: each write applies
/// only to the instance stored when the event happened and only when no later event was applied
/// (``PushedEventRules``), so such an event changes nothing. Each delivery is counted by event and outcome
/// (``WebhookMetrics``).
struct EvolutionWebhookHandler: RouteHandler {
    let servers: any EvolutionServers
    let tenants: any TenantRepository
    let audit: any AuditRecorder
    /// Each Evolution server's clock as this process learned it from its deliveries.
    let clocks: EvolutionServerClocks
    /// This host's wall clock (the tests set their own).
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// A handler whose server clocks start unknown and are kept in memory only unless `clocks` is given.
    init(
        servers: any EvolutionServers, tenants: any TenantRepository, audit: any AuditRecorder,
        clocks: EvolutionServerClocks? = nil, now: @escaping @Sendable () -> Timestamp = { Timestamp.now() },
        logger: Logger
    ) {
        self.servers = servers
        self.tenants = tenants
        self.audit = audit
        self.clocks = clocks ?? EvolutionServerClocks(store: nil, logger: logger)
        self.now = now
        self.logger = logger
    }

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        var event: String?
        do {
            let applied = try receive(request, server: parameters["serverId"], context: context, event: &event)
            WebhookMetrics.record(event: event, outcome: applied ? .applied : .ignored)
            return .json(.ok, ["received": true])
        } catch {
            WebhookMetrics.record(event: event, outcome: WebhookMetrics.Outcome(error))
            throw error
        }
    }

    /// Authenticates, reads and applies one delivery, naming its `event` as soon as it is read; false when it
    /// changed nothing (ignored).
    private func receive(
        _ request: HTTPRequest, server name: String?, context: RequestContext, event: inout String?
    ) throws(APIError) -> Bool {
        let (server, claims) = try authenticate(request, server: name, context: context)
        guard let delivery = WebhookDelivery(body: request.body) else { throw APIError(.invalidBody) }
        event = delivery.event
        context.logMetadata["event"] = .string(delivery.event)
        context.logMetadata["instanceName"] = .string(delivery.instanceName)
        let eventTime = try instant(of: delivery, from: server, claims: claims, context: context)
        guard let tenant = delivery.tenant else {
            logIgnored(delivery, because: "not one of our instances")
            return false
        }
        context.logMetadata["tenantId"] = .string(tenant.rawValue)
        guard try isPlaced(tenant, on: server, context: context) else {
            logIgnored(delivery, because: "signed for server \(server), but the tenant is not placed there")
            audit.record(
                AuditEntry(
                    tenant: tenant, action: .webhook, outcome: "ignored_other_server", errorCode: nil,
                    instanceName: delivery.instanceName, requestID: context.requestID,
                    duration: .now - context.startedAt))
            return false
        }
        let applied = try apply(delivery, at: eventTime, tenant: tenant, context: context)
        context.logMetadata["applied"] = .stringConvertible(applied)
        return applied
    }

    /// Whether the tenant's instance (or its place) is on `server`, or the tenant has none: a delivery signed by one
    /// server cannot touch a tenant of another. A row that names no server is `default`'s.
    private func isPlaced(
        _ tenant: TenantID, on server: EvolutionServerID, context: RequestContext
    ) throws(APIError) -> Bool {
        let record = try tenants(of: context).find(tenant)
        guard let record, record.instanceName != nil || record.server != nil else { return true }
        return (record.server ?? .implicitDefault) == server
    }

    /// Records what the event, which happened at `eventTime`, says; false when it did not apply (another instance, an
    /// event older than the instance or than the last one applied, or an event we ignore).
    private func apply(
        _ delivery: WebhookDelivery, at eventTime: Timestamp, tenant: TenantID, context: RequestContext
    ) throws(APIError) -> Bool {
        let name = delivery.instanceName
        let pushed = PushedEvent(name: name, tenant: tenant, time: eventTime)
        switch delivery.event {
        case "connection.update":
            guard let state = Self.state(in: delivery.data) else { throw APIError(.invalidBody) }
            let detail = Self.detail(of: delivery.data, state: state)
            if let account = detail.account { context.logMetadata["account"] = .string(account.masked) }
            return try record(state, pushed, clearQRCode: false, detail: detail, context: context)
        case "logout.instance":
            // Alone it means a logout from the phone; the close that follows, with its code, wins.
            return try record(
                .close, pushed, clearQRCode: true, detail: ConnectionDetail(reason: .loggedOut),
                context: context)
        case "qrcode.updated":
            if let dataURL = delivery.data["qrcode"]?["base64"]?.stringValue,
                dataURL.hasPrefix(EvolutionQRCode.pngDataURLPrefix)
            {
                return try tenants(of: context).storePushedQRCode(dataURL, of: name, for: tenant, at: eventTime)
            }
            guard delivery.data["message"]?.stringValue != nil else { throw APIError(.invalidBody) }
            // The QR code limit: Evolution logs the instance out and stops making codes.
            return try record(
                .close, pushed, clearQRCode: true,
                detail: ConnectionDetail(reason: .qrExpired, replacesRecordedReason: true), context: context)
        case "remove.instance":
            let detached = try tenants(of: context).detachRemovedInstance(name, from: tenant, at: eventTime)
            if detached { recordAudit("instance_gone", tenant: tenant, name: name, context: context) }
            return detached
        default:
            logIgnored(delivery, because: "an event this service does not subscribe to")
            return false
        }
    }

    /// An event about the tenant's instance `name` that happened at `time`.
    private struct PushedEvent {
        let name: String
        let tenant: TenantID
        let time: Timestamp
    }

    private func record(
        _ state: EvolutionConnectionState, _ event: PushedEvent, clearQRCode: Bool,
        detail: ConnectionDetail = .none, context: RequestContext
    ) throws(APIError) -> Bool {
        if let reason = detail.reason { context.logMetadata["disconnectReason"] = .string(reason.rawValue) }
        if let code = detail.code { context.logMetadata["statusReason"] = .stringConvertible(code) }
        let changeAudit = auditEntry(state.rawValue, tenant: event.tenant, name: event.name, context: context)
        let recorded = try tenants(of: context).recordPushedState(
            state, of: event.name, for: event.tenant, at: event.time, clearQRCode: clearQRCode, detail: detail,
            changeAudit: changeAudit)
        return recorded != nil
    }

    /// What a `connection.update` tells beyond its state: the account of an `open` (`wuid`, `profileName`); the
    /// reason of a `close` from its `statusReason` (a close's code wins over the `logout.instance` before it; one
    /// without a code is `unknown` unless a reason was recorded); `refused` (428, the QR code limit) is
    /// `qr_expired`.
    static func detail(of data: JSONValue, state: EvolutionConnectionState) -> ConnectionDetail {
        let code = data["statusReason"]?.integerValue
        switch state {
        case .open:
            guard let jid = data["wuid"]?.stringValue, !jid.isEmpty else { return .none }
            let name = data["profileName"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            return ConnectionDetail(account: ConnectedAccount(jid: jid, name: name))
        case .close:
            if data["state"]?.stringValue == "refused" {
                return ConnectionDetail(reason: .qrExpired, code: code, replacesRecordedReason: true)
            }
            guard let code else { return ConnectionDetail(reason: .unknown) }
            return ConnectionDetail(
                reason: DisconnectionReason.ofClose(code: code), code: code, replacesRecordedReason: true)
        case .connecting:
            return .none
        }
    }

    /// `open`, `connecting` or `close`; `refused` (the QR code limit) is recorded as `close`, with its reason logged.
    static func state(in data: JSONValue) -> EvolutionConnectionState? {
        guard let text = data["state"]?.stringValue else { return nil }
        if text == "refused" { return .close }
        return EvolutionConnectionState(rawValue: text)
    }

    /// Verifies the delivery's token with the key of the server it names (`default` without one) and returns that
    /// server and the token's claims.
    private func authenticate(
        _ request: HTTPRequest, server name: String?, context: RequestContext
    ) throws(APIError) -> (EvolutionServerID, JWTClaims) {
        let failure: AuthenticationFailure
        do {
            let token = try Authenticator.bearerToken(in: request.headers)
            let named: EvolutionServerID? = if let name { EvolutionServerID(name) } else { .implicitDefault }
            guard let server = named, let verifier = servers.webhookVerifier(for: server)
            else {
                context.logMetadata["auth"] = "no such Evolution server"
                throw APIError(
                    .invalidToken, headers: HTTPHeaders([("WWW-Authenticate", #"Bearer error="invalid_token""#)]))
            }
            context.logMetadata["server"] = .string(server.rawValue)
            let claims = try Self.verified(token, with: verifier)
            guard claims.string("app") == "evolution", claims.string("action") == "webhook" else {
                context.logMetadata["auth"] = "not an Evolution webhook token (app/action)"
                throw APIError(
                    .invalidToken, headers: HTTPHeaders([("WWW-Authenticate", #"Bearer error="invalid_token""#)]))
            }
            return (server, claims)
        } catch let error as AuthenticationFailure {
            failure = error
        } catch let error as APIError {
            throw error
        } catch {
            failure = .malformedHeader
        }
        context.logMetadata["auth"] = .string(failure.description)
        throw failure.apiError
    }

    private static func verified(
        _ token: String, with verifier: JWTVerifier
    ) throws(AuthenticationFailure)
        -> JWTClaims
    {
        do {
            return try verifier.verify(token)
        } catch {
            throw .rejected(error)
        }
    }

    /// The tenant rows as the request of `context` calls them: each call on its log line.
    private func tenants(of context: RequestContext) -> TimedTenantRepository {
        TimedTenantRepository(tenants, context: context)
    }

    private func recordAudit(_ outcome: String, tenant: TenantID, name: String, context: RequestContext) {
        audit.record(auditEntry(outcome, tenant: tenant, name: name, context: context))
    }

    private func auditEntry(_ outcome: String, tenant: TenantID, name: String, context: RequestContext) -> AuditEntry {
        AuditEntry(
            tenant: tenant, action: .stateChange, outcome: outcome, errorCode: nil, instanceName: name,
            requestID: context.requestID, duration: .now - context.startedAt)
    }

    private func logIgnored(_ delivery: WebhookDelivery, because reason: String) {
        logger.debug(
            "webhook ignored",
            metadata: [
                "event": .string(delivery.event), "instanceName": .string(delivery.instanceName),
                "reason": .string(reason),
            ])
    }
}
