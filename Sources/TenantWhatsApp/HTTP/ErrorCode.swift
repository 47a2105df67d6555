import HTTPServer

/// The stable machine codes of the error envelope (docs/api.md, "Errors", and `components.schemas.ErrorCode` of openapi.yaml), each with its HTTP status and its
/// pt-BR message for people.
///
/// The one catalogue: nginx's own error bodies (`nginx/tenant-whatsapp.locations.conf`) use these codes, statuses
/// and messages too, which `ErrorCatalogueTests` checks.
public enum ErrorCode: String, Sendable, CaseIterable {
    case invalidTenantID = "invalid_tenant_id"
    case invalidBody = "invalid_body"
    /// Connect's `number` is not 10 to 15 digits (E.164 without `+`).
    case invalidNumber = "invalid_number"
    case badRequest = "bad_request"
    case missingToken = "missing_token"
    case invalidToken = "invalid_token"
    case tokenExpired = "token_expired"
    /// The event stream was asked for without a `ticket` (docs/events.md).
    case missingTicket = "missing_ticket"
    /// The event stream's `ticket` is unknown, malformed or expired.
    case invalidTicket = "invalid_ticket"
    case tenantForbidden = "tenant_forbidden"
    /// nginx's own answer to an address that may not read `/api/metrics`, never the app's.
    case forbidden = "forbidden"
    case tenantNotFound = "tenant_not_found"
    case instanceNotFound = "instance_not_found"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    /// The event stream was asked for with an `Accept` that excludes `text/event-stream`.
    case notAcceptable = "not_acceptable"
    case alreadyConnected = "already_connected"
    case operationInProgress = "operation_in_progress"
    case payloadTooLarge = "payload_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case rateLimited = "rate_limited"
    case upstreamError = "upstream_error"
    case upstreamBadResponse = "upstream_bad_response"
    case upstreamUnavailable = "upstream_unavailable"
    case databaseUnavailable = "database_unavailable"
    case upstreamTimeout = "upstream_timeout"
    /// No Evolution server has room for a new instance (every active server is at its capacity).
    case capacityExhausted = "capacity_exhausted"
    /// Admission refused: the Evolution server already has as many calls in flight from this process as allowed.
    case overloaded = "overloaded"
    /// The event stream is not served here (nginx without its nchan include): poll `GET status` instead.
    case eventsUnavailable = "events_unavailable"
    /// nginx's own answer when the responder cannot be reached (502/503 from nginx), never the app's.
    case responderUnavailable = "responder_unavailable"
    /// nginx's own answer when the responder did not answer within `fastcgi_read_timeout`.
    case responderTimeout = "responder_timeout"
    /// nginx's own answer to a request it cannot take (a `Transfer-Encoding` other than `chunked`), never the app's.
    case notImplemented = "not_implemented"
    /// nginx's own answer to a request line with an HTTP version it does not speak, never the app's.
    case httpVersionNotSupported = "http_version_not_supported"
    /// The client went away while the request waited (nobody reads this answer; it is for logs and audit).
    case clientGone = "client_gone"
    case internalError = "internal_error"

    /// The HTTP status this code is answered with.
    public var status: HTTPStatus {
        switch self {
        case .invalidTenantID, .invalidBody, .invalidNumber, .badRequest: .badRequest
        case .missingToken, .invalidToken, .tokenExpired, .missingTicket, .invalidTicket: .unauthorized
        case .tenantForbidden, .forbidden: .forbidden
        case .tenantNotFound, .instanceNotFound, .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .notAcceptable: .notAcceptable
        case .alreadyConnected, .operationInProgress: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .rateLimited: .tooManyRequests
        case .upstreamError, .upstreamBadResponse: .badGateway
        case .upstreamUnavailable, .databaseUnavailable, .responderUnavailable, .capacityExhausted, .overloaded,
            .eventsUnavailable:
            .serviceUnavailable
        case .upstreamTimeout, .responderTimeout: .gatewayTimeout
        case .notImplemented: .notImplemented
        case .httpVersionNotSupported: .httpVersionNotSupported
        case .clientGone: HTTPStatus(code: 499, reason: "Client Closed Request")
        case .internalError: .internalServerError
        }
    }

    /// The default message, in Portuguese (pt-BR).
    public var message: String {
        switch self {
        case .invalidTenantID: "Identificador de tenant inválido."
        case .invalidBody: "Corpo da requisição inválido."
        case .invalidNumber:
            "Número de telefone inválido. Informe apenas dígitos, com código do país e DDD (de 10 a 15 dígitos, sem +, "
                + "espaços ou traços)."
        case .badRequest: "Requisição inválida."
        case .missingToken: "Token de autenticação ausente."
        case .invalidToken: "Token de autenticação inválido."
        case .tokenExpired: "Token de autenticação expirado."
        case .missingTicket: "Ticket de eventos ausente. Peça um em POST .../whatsapp/events/ticket."
        case .invalidTicket: "Ticket de eventos inválido ou expirado. Peça um novo."
        case .tenantForbidden: "Você não tem permissão para gerenciar este tenant."
        case .forbidden: "Acesso negado."
        case .tenantNotFound: "Tenant não encontrado."
        case .instanceNotFound: "Nenhuma instância WhatsApp encontrada para este tenant."
        case .notFound: "Rota não encontrada."
        case .methodNotAllowed: "Método não permitido para esta rota."
        case .notAcceptable: "Esta rota só responde text/event-stream."
        case .alreadyConnected: "O WhatsApp deste tenant já está conectado."
        case .operationInProgress: "Já existe uma operação em andamento para este tenant. Tente novamente em instantes."
        case .payloadTooLarge: "O corpo da requisição excede o tamanho permitido (16 KiB; 64 KiB para o webhook)."
        case .unsupportedMediaType: "Tipo de conteúdo não suportado. Use application/json."
        case .rateLimited: "Muitas requisições. Tente novamente em instantes."
        case .upstreamError: "A API do WhatsApp retornou um erro."
        case .upstreamBadResponse: "A API do WhatsApp retornou uma resposta inválida."
        case .upstreamUnavailable: "A API do WhatsApp está indisponível. Tente novamente em instantes."
        case .databaseUnavailable: "O banco de dados está indisponível. Tente novamente em instantes."
        case .upstreamTimeout: "A API do WhatsApp demorou demais para responder."
        case .capacityExhausted:
            "Nenhum servidor WhatsApp tem capacidade para uma nova conexão no momento. Tente novamente mais tarde."
        case .overloaded: "O serviço está sobrecarregado no momento. Tente novamente em instantes."
        case .eventsUnavailable: "Eventos ao vivo indisponíveis. Consulte o status periodicamente."
        case .responderUnavailable: "O serviço está temporariamente indisponível. Tente novamente em instantes."
        case .responderTimeout: "O serviço demorou demais para responder."
        case .notImplemented: "O servidor não suporta o que esta requisição pede."
        case .httpVersionNotSupported: "Versão do protocolo HTTP não suportada."
        case .clientGone: "O cliente encerrou a requisição."
        case .internalError: "Erro interno do servidor."
        }
    }
}
