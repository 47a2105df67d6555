import HTTPServer
import JSON
import Runtime

/// One instance in the simulator's memory.
struct SimulatedInstance: Sendable {
    let name: String
    let id: String
    /// The instance's own API key (`hash`); accepted as `apikey` on this instance's routes.
    let token: String
    let integration: String
    /// The `number` given at create, if any.
    let number: String?
    /// The settings block of create, as answered.
    let settings: JSONValue
    let createdAt: Timestamp
    var updatedAt: Timestamp

    /// The live state (`connectionState`).
    var state: ConnectionState
    /// The state in Evolution's database (`fetchInstances`), which lags: `close` until the first QR code.
    var databaseStatus: ConnectionState = .close
    /// The `qrcode` object, never cleared by a login or a logout.
    var qrCode = QRCodeState()
    /// QR-bearing answers left before this socket's first QR code arrives.
    var pendingQRAnswers = 0
    /// When this socket's first QR code arrives by itself (`SIM_QR_DELAY_MS`), or nil when only answers bring it.
    var qrDueAt: ContinuousClock.Instant?
    /// When this socket's latest QR code appeared (nil: none yet for this socket).
    var qrShownAt: ContinuousClock.Instant?
    /// When this socket's first QR code appeared, for the automatic scan.
    var firstQRShownAt: ContinuousClock.Instant?
    /// Pairing-code mode: the number given to `/connect?number=` or create.
    var pairingNumber: String?
    /// The connected account, once a phone scanned: `wuid` and profile name.
    var owner: (wuid: String, profileName: String)?
    var webhook: WebhookConfiguration?
    /// Set by delete when clean-up takes a while: the name stays in use until then.
    var removalDeadline: ContinuousClock.Instant?
    /// Set by delete while the name is held until its `remove.instance` delivery ends: that delivery's id.
    var awaitedRemoveDelivery: Int?
    var disconnectionReasonCode: Int?
    /// When an instance dropped with a code Evolution repairs by itself is `open` again (nil: not reconnecting).
    var reconnectsAt: ContinuousClock.Instant?
    /// Until when such an instance reads `close` before it is `connecting` (nil: not in that phase).
    var closedUntil: ContinuousClock.Instant?
    var disconnectionAt: Timestamp?

    init(
        name: String, id: String, token: String, integration: String, number: String?, settings: JSONValue,
        state: ConnectionState, now: Timestamp
    ) {
        self.name = name
        self.id = id
        self.token = token
        self.integration = integration
        self.number = number
        self.settings = settings
        self.state = state
        self.createdAt = now
        self.updatedAt = now
        if state == .open { databaseStatus = .open }
    }

    /// `{"instance":{"instanceName":"x","state":"open"}}`, the connectionState shape.
    var stateJSON: JSONValue {
        ["instance": ["instanceName": .string(name), "state": .string(state.rawValue)]]
    }

    /// One `fetchInstances` row: the raw database row with its relations.
    var row: JSONValue {
        [
            "id": .string(id), "name": .string(name), "connectionStatus": .string(databaseStatus.rawValue),
            "ownerJid": .string(orNull: owner?.wuid), "profileName": .string(orNull: owner?.profileName),
            "profilePicUrl": .null, "integration": .string(integration), "number": .string(orNull: number),
            "businessId": .null, "token": .string(token), "clientName": "evolution_exchange",
            "disconnectionReasonCode": disconnectionReasonCode.map(JSONValue.integer) ?? .null,
            "disconnectionObject": .null, "disconnectionAt": .string(orNull: disconnectionAt?.description),
            "createdAt": .string(createdAt.description), "updatedAt": .string(updatedAt.description),
            "Chatwoot": .null, "Proxy": .null, "Rabbitmq": .null, "Nats": .null, "Sqs": .null, "Websocket": .null,
            "Setting": settingRow, "_count": ["Message": 0, "Contact": 0, "Chat": 0],
        ]
    }

    private var settingRow: JSONValue {
        var members = settings.objectMembers ?? []
        members.insert(("id", .string(id + "-setting")), at: 0)
        members.append(contentsOf: [
            ("createdAt", .string(createdAt.description)), ("updatedAt", .string(updatedAt.description)),
            ("instanceId", .string(id)),
        ])
        return .object(members)
    }
}
