import HTTPServer
import JSON

/// The success payloads of the three WhatsApp routes, exactly as the contract shows them.
enum WhatsAppResponses {
    static let createdMessage = "Instância WhatsApp criada com sucesso. Escaneie o QR Code para conectar."
    static let reusedMessage = "Instância WhatsApp existente. Escaneie o QR Code para conectar."
    static let qrPendingMessage =
        "Instância WhatsApp pronta, mas o QR Code ainda não foi gerado. Chame connect novamente em alguns segundos."
    static let pairingCreatedMessage =
        "Instância WhatsApp criada com sucesso. Digite o código de pareamento no WhatsApp do celular para conectar."
    static let pairingReusedMessage =
        "Instância WhatsApp existente. Digite o código de pareamento no WhatsApp do celular para conectar."
    static let pairingPendingMessage =
        "Instância WhatsApp pronta, mas o código de pareamento ainda não foi gerado. Chame connect novamente em alguns "
        + "segundos."
    static let disconnectedMessage = "WhatsApp desconectado com sucesso."
    /// Seconds a client should wait before calling connect again when the QR code was not ready (202).
    static let qrRetryAfterSeconds = 3

    /// Connect's answer: 201 created, 200 reused or adopted; 202 with `qrcode: null` and `Retry-After` when no QR
    /// code was ready. In pairing-code mode it adds `pairingCode` (`ABCD-EFGH`; null in a 202) after `qrcode`, which
    /// may be null.
    static func connected(_ outcome: ConnectOutcome, tenant: TenantID) -> HTTPResponse {
        let status: HTTPStatus
        let message: String
        var headers = HTTPHeaders()
        if outcome.isPending {
            status = HTTPStatus(code: 202, reason: "Accepted")
            message = outcome.pairing ? pairingPendingMessage : qrPendingMessage
            headers.add(name: "Retry-After", value: String(qrRetryAfterSeconds))
        } else if outcome.kind == .created {
            status = .created
            message = outcome.pairing ? pairingCreatedMessage : createdMessage
        } else {
            status = .ok
            message = outcome.pairing ? pairingReusedMessage : reusedMessage
        }
        var members: [(String, JSONValue)] = [
            ("success", true), ("instanceName", .string(outcome.instanceName)),
            ("qrcode", .string(orNull: outcome.isPending ? nil : outcome.qrCode?.pngDataURL)),
        ]
        if outcome.pairing { members.append(("pairingCode", .string(orNull: outcome.pairingCode?.formatted))) }
        members += [
            ("message", .string(message)),
            (
                "data",
                [
                    "tenantId": .string(tenant.rawValue), "instanceName": .string(outcome.instanceName),
                    "createdAt": .string(outcome.createdAt),
                ]
            ),
        ]
        return .json(status, .object(members), headers: headers)
    }

    /// Status's answer for an instance Evolution knows.
    static func status(
        _ state: EvolutionConnectionState, instanceName: String, tenant: TenantID, lastCheck: String,
        details: StatusDetails = .none
    ) -> HTTPResponse {
        .json(
            .ok, statusBody(state, instanceName: instanceName, tenant: tenant, lastCheck: lastCheck, details: details))
    }

    /// Status's answer for a tenant without an instance.
    static func notCreated(tenant: TenantID, lastCheck: String, details: StatusDetails = .none) -> HTTPResponse {
        .json(.ok, notCreatedBody(tenant: tenant, lastCheck: lastCheck, details: details))
    }

    /// The body of ``status(_:instanceName:tenant:lastCheck:details:)``; the event stream's messages start from it
    /// too. `data` gains `account` while open and `lastDisconnection` otherwise, when the row holds them (additive:
    /// the other fields are exactly the seed's).
    static func statusBody(
        _ state: EvolutionConnectionState, instanceName: String, tenant: TenantID, lastCheck: String,
        details: StatusDetails = .none
    ) -> JSONValue {
        var data: [(String, JSONValue)] = [
            ("tenantId", .string(tenant.rawValue)), ("instanceName", .string(instanceName)),
            ("lastCheck", .string(lastCheck)),
        ]
        if let account = details.accountJSON(state: state) { data.append(("account", account)) }
        if let last = details.lastDisconnectionJSON(state: state) { data.append(("lastDisconnection", last)) }
        return [
            "connected": .bool(state == .open), "instanceName": .string(instanceName),
            "status": .string(state.rawValue), "data": .object(data),
        ]
    }

    /// The body of ``notCreated(tenant:lastCheck:details:)``: `data.lastDisconnection` after a drop that removed
    /// the instance.
    static func notCreatedBody(tenant: TenantID, lastCheck: String, details: StatusDetails = .none) -> JSONValue {
        var data: [(String, JSONValue)] = [
            ("tenantId", .string(tenant.rawValue)), ("instanceName", nil), ("lastCheck", .string(lastCheck)),
        ]
        if let last = details.lastDisconnectionJSON(state: nil) { data.append(("lastDisconnection", last)) }
        return ["connected": false, "instanceName": nil, "status": "not_created", "data": .object(data)]
    }

    /// Disconnect's answer.
    static func disconnected(tenant: TenantID, instanceName: String, at time: String) -> HTTPResponse {
        .json(
            .ok,
            [
                "success": true, "message": .string(disconnectedMessage),
                "data": [
                    "tenantId": .string(tenant.rawValue), "instanceName": .string(instanceName),
                    "disconnectedAt": .string(time),
                ],
            ])
    }
}
