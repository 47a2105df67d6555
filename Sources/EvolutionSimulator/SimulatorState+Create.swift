import HTTPServer
import JSON
import Runtime

extension SimulatorState {
    /// `POST /instance/create` → 201, after the name-taken guard (403, before the key), the key (global only:
    /// create has no instance to take a token from), the schema (400, nested messages) and the business checks.
    mutating func createInstance(_ call: EvolutionCall, now: ContinuousClock.Instant) -> HTTPResponse {
        let body = call.body
        let nameValue = body["instanceName"]
        if let nameValue {
            let guardName = CreateRequestValidation.templateText(nameValue)
            if instances[guardName] != nil { return EvolutionEnvelope.nameInUse(guardName) }
        } else if !instances.isEmpty {
            // Prisma's `where:{name:undefined}` has no filter: it finds any row (docs/simulator.md).
            return EvolutionEnvelope.nameInUse("undefined")
        }
        guard call.apiKey == settings.apiKey else { return EvolutionEnvelope.unauthorized() }
        let schemaErrors = CreateRequestValidation.schemaErrors(in: body)
        guard schemaErrors.isEmpty else { return EvolutionEnvelope.schemaError(schemaErrors) }
        if let problem = businessProblem(in: body) { return EvolutionEnvelope.error(.badRequest, messages: [problem]) }
        // Not verified against a real server: a create without instanceName when no instance exists.
        guard let name = nameValue?.stringValue else {
            return EvolutionEnvelope.error(.badRequest, messages: ["Invalid instance name"])
        }
        return create(name: name, body: body, now: now)
    }

    /// The first error `createInstance` throws inside (each rewrapped as 400 `["…"]`), or nil.
    private func businessProblem(in body: JSONValue) -> String? {
        guard let integration = body["integration"]?.stringValue,
            CreateRequestValidation.integrations.contains(integration)
        else { return "Invalid integration" }
        if integration == "WHATSAPP-BUSINESS" {
            if body["token"]?.stringValue?.isEmpty ?? true { return "token is required" }
            if body["number"]?.stringValue?.isEmpty ?? true { return "number is required" }
        }
        // 2.3.x runs `data.webhook.events.length` on a webhook without events and rolls the create back.
        if let webhook = body["webhook"], webhook.objectMembers != nil, webhook["events"] == nil {
            return "Cannot read properties of undefined (reading 'length')"
        }
        return nil
    }

    private mutating func create(name: String, body: JSONValue, now: ContinuousClock.Instant) -> HTTPResponse {
        let integration = body["integration"]?.stringValue ?? "WHATSAPP-BAILEYS"
        let isBaileys = integration == "WHATSAPP-BAILEYS"
        let token = body["token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? RandomIdentifier.token()
        var instance = SimulatedInstance(
            name: name, id: RandomIdentifier.uuid(), token: token, integration: integration,
            number: body["number"]?.stringValue, settings: Self.settingsBlock(from: body),
            state: isBaileys ? .close : .open, now: Timestamp.now())
        if let webhook = body["webhook"], webhook.objectMembers != nil {
            instance.webhook = Self.webhookConfiguration(from: webhook, enabled: true)
        }
        instances[name] = instance
        creationOrder.append(name)
        emit(WebhookEvent.lifecycle("instance.create", instance), for: instance, now: now)

        let wantsQRCode = isBaileys && body["qrcode"]?.boolValue == true
        var qrCode: JSONValue?
        if wantsQRCode {
            startSocket(name, pairingNumber: body["number"]?.stringValue, now: now)
            qrCode = qrCodeAnswer(name, now: now)
        }
        return .json(.created, Self.createdBody(instances[name] ?? instance, request: body, qrCode: qrCode))
    }

    /// The 201 body. Members whose value would be `undefined` in JavaScript are left out, as `res.json` does:
    /// `"webhook":{}` without a webhook, `"websocket":{}` without websocket settings, no `qrcode` unless asked.
    private static func createdBody(_ instance: SimulatedInstance, request: JSONValue, qrCode: JSONValue?) -> JSONValue
    {
        let webhook = request["webhook"]
        var members: [(String, JSONValue)] = [
            (
                "instance",
                [
                    "instanceName": .string(instance.name), "instanceId": .string(instance.id),
                    "integration": .string(instance.integration), "webhookWaBusiness": .null,
                    "accessTokenWaBusiness": "", "status": .string(instance.state.rawValue),
                ]
            ),
            ("hash", .string(instance.token)),
            (
                "webhook",
                defined([
                    ("webhookUrl", webhook?["url"]), ("webhookHeaders", webhook?["headers"]),
                    ("webhookByEvents", webhook?["byEvents"]), ("webhookBase64", webhook?["base64"]),
                ])
            ),
        ]
        for block in ["websocket", "rabbitmq", "nats", "sqs"] {
            members.append((block, defined([("enabled", request[block]?["enabled"])])))
        }
        members.append(("settings", instance.settings))
        if let qrCode { members.append(("qrcode", qrCode)) }
        return .object(members)
    }

    private static func defined(_ members: [(String, JSONValue?)]) -> JSONValue {
        .object(members.compactMap { name, value in value.map { (name, $0) } })
    }

    /// The `settings` block: the body's values where given, else Evolution's defaults.
    private static func settingsBlock(from body: JSONValue) -> JSONValue {
        let defaults: [(String, JSONValue)] = [
            ("rejectCall", false), ("msgCall", ""), ("groupsIgnore", false), ("alwaysOnline", false),
            ("readMessages", false), ("readStatus", false), ("syncFullHistory", false), ("wavoipToken", ""),
        ]
        return .object(defaults.map { name, fallback in (name, body[name] ?? fallback) })
    }

    /// A webhook from create's `webhook` object or `webhook/set`'s; `events: []` while enabled means every event
    /// (Evolution stores the full list), disabled stores none.
    static func webhookConfiguration(from json: JSONValue, enabled: Bool) -> WebhookConfiguration {
        let events = json["events"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let now = Timestamp.now()
        return WebhookConfiguration(
            id: RandomIdentifier.uuid(), url: json["url"]?.stringValue ?? "", enabled: enabled,
            events: enabled ? (events.isEmpty ? WebhookConfiguration.knownEvents : events) : [],
            byEvents: json["byEvents"]?.boolValue ?? false, base64: json["base64"]?.boolValue ?? false,
            headers: json["headers"]?.objectMembers != nil ? json["headers"]! : .object([]), createdAt: now,
            updatedAt: now)
    }
}
