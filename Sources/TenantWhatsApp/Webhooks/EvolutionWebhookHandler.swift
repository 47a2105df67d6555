import HTTPServer
import JSON
import JWT
import Logging
import Postgres

/// `POST /api/evolution/webhook`: what Evolution pushes about our instances, recorded as a status check would.
///
/// The bearer token (Evolution's `jwt_key` JWT: HS256 with `EVOLUTION_WEBHOOK_SECRET`, `app` `evolution`, `action`
/// `webhook`) is verified before anything else; 401 otherwise, which Evolution does not retry. Events about an
/// instance no tenant has are answered 200 and ignored, so Evolution does not retry them either. Deliveries can
/// repeat and arrive out of order: each write is conditional on the instance name and ordered on Evolution's
/// `date_time`, so a replay or a late event changes nothing. Each delivery is counted by event and outcome
/// (``WebhookMetrics``).
struct EvolutionWebhookHandler: RouteHandler {
    let verifier: JWTVerifier
    let tenants: any TenantRepository
    let audit: any AuditRecorder
    let logger: Logger

    func handle(
        _ request: HTTPRequest, parameters: [String: String], context: RequestContext
    ) throws(APIError) -> HTTPResponse {
        var event: String?
        do {
            let applied = try receive(request, context: context, event: &event)
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
        _ request: HTTPRequest, context: RequestContext, event: inout String?
    ) throws(APIError) -> Bool {
        try authenticate(request, context: context)
        guard let delivery = WebhookDelivery(body: request.body) else { throw APIError(.invalidBody) }
        event = delivery.event
        context.logMetadata["event"] = .string(delivery.event)
        context.logMetadata["instanceName"] = .string(delivery.instanceName)
        guard let tenant = delivery.tenant else {
            logIgnored(delivery, because: "not one of our instances")
            return false
        }
        context.logMetadata["tenantId"] = .string(tenant.rawValue)
        let applied = try apply(delivery, tenant: tenant, context: context)
        context.logMetadata["applied"] = .stringConvertible(applied)
        return applied
    }

    /// Records what the event says; false when it did not apply (another instance, late, or an event we ignore).
    private func apply(_ delivery: WebhookDelivery, tenant: TenantID, context: RequestContext) throws(APIError) -> Bool
    {
        let name = delivery.instanceName
        switch delivery.event {
        case "connection.update":
            guard let state = Self.state(in: delivery.data) else { throw APIError(.invalidBody) }
            return try record(state, of: name, for: tenant, delivery: delivery, clearQRCode: false, context: context)
        case "logout.instance":
            return try record(.close, of: name, for: tenant, delivery: delivery, clearQRCode: true, context: context)
        case "qrcode.updated":
            if let dataURL = delivery.data["qrcode"]?["base64"]?.stringValue,
                dataURL.hasPrefix(EvolutionQRCode.pngDataURLPrefix)
            {
                return try context.database("storePushedQRCode") { () throws(PostgresError) in
                    try tenants.storePushedQRCode(dataURL, of: name, for: tenant, eventTime: delivery.eventTime)
                }
            }
            guard delivery.data["message"]?.stringValue != nil else { throw APIError(.invalidBody) }
            // The QR code limit: Evolution logs the instance out and stops making codes.
            return try record(.close, of: name, for: tenant, delivery: delivery, clearQRCode: true, context: context)
        case "remove.instance":
            let detached = try context.database("detachInstance") { () throws(PostgresError) in
                try tenants.detachInstance(name, from: tenant)
            }
            if detached { recordAudit("instance_gone", tenant: tenant, name: name, context: context) }
            return detached
        default:
            logIgnored(delivery, because: "an event this service does not subscribe to")
            return false
        }
    }

    private func record(
        _ state: EvolutionConnectionState, of name: String, for tenant: TenantID, delivery: WebhookDelivery,
        clearQRCode: Bool, context: RequestContext
    ) throws(APIError) -> Bool {
        let changeAudit = auditEntry(state.rawValue, tenant: tenant, name: name, context: context)
        let recorded = try context.database("recordPushedState") { () throws(PostgresError) in
            try tenants.recordPushedState(
                state, of: name, for: tenant, eventTime: delivery.eventTime, clearQRCode: clearQRCode,
                changeAudit: changeAudit)
        }
        return recorded != nil
    }

    /// `open`, `connecting` or `close`; `refused` (the QR code limit) is recorded as `close`, with its reason logged.
    static func state(in data: JSONValue) -> EvolutionConnectionState? {
        guard let text = data["state"]?.stringValue else { return nil }
        if text == "refused" { return .close }
        return EvolutionConnectionState(rawValue: text)
    }

    private func authenticate(_ request: HTTPRequest, context: RequestContext) throws(APIError) {
        let failure: AuthenticationFailure
        do {
            let token = try Authenticator.bearerToken(in: request.headers)
            let claims = try Self.verified(token, with: verifier)
            guard claims.string("app") == "evolution", claims.string("action") == "webhook" else {
                context.logMetadata["auth"] = "not an Evolution webhook token (app/action)"
                throw APIError(
                    .invalidToken, headers: HTTPHeaders([("WWW-Authenticate", #"Bearer error="invalid_token""#)]))
            }
            return
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
