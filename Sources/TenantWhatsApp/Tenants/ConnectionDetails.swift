import JSON

/// Why a tenant's WhatsApp connection dropped, as status shows it in `data.lastDisconnection` (docs/api.md).
enum DisconnectionReason: String, Sendable, CaseIterable {
    /// Logged out from the phone: `logout.instance`, or a close with code 401.
    case loggedOut = "logged_out"
    /// WhatsApp refused the account: a close with code 402, 403 or 406.
    case restricted
    /// The connection was lost: a close with code 408, or a `close` seen only by polling that lasted
    /// `STATUS_CLOSE_GRACE_MS` (30 s).
    case connectionLost = "connection_lost"
    /// The QR code limit was reached unread: `refused` (428).
    case qrExpired = "qr_expired"
    /// The instance was deleted outside this service (`remove.instance`).
    case removed
    /// `reconcile` removed an instance that never connected.
    case expired
    /// Our own disconnect route.
    case user
    /// Any other code Evolution gave.
    case unknown

    /// The sentence shown to people (pt-BR).
    var message: String {
        switch self {
        case .loggedOut: "Seu WhatsApp foi desconectado pelo celular."
        case .restricted: "O WhatsApp restringiu esta conta."
        case .connectionLost: "A conexão com o WhatsApp caiu."
        case .qrExpired: "O código QR expirou sem leitura."
        case .removed: "A instância foi removida fora deste serviço."
        case .expired: "A instância expirou sem ser conectada."
        case .user: "Desconectado por você."
        case .unknown: "O WhatsApp encerrou a conexão."
        }
    }

    /// The reason of a final close with Evolution's `statusReason` `code`.
    static func ofClose(code: Int) -> DisconnectionReason {
        switch code {
        case 401: .loggedOut
        case 402, 403, 406: .restricted
        case 408: .connectionLost
        default: .unknown
        }
    }
}

/// The WhatsApp account connected to an instance, as Evolution reports it on `open`.
struct ConnectedAccount: Sendable, Equatable {
    /// The account's JID (`wuid`): `5511987654321@s.whatsapp.net`, possibly with a device (`…:12@…`), or an `@lid`
    /// identity that carries no number.
    let jid: String
    /// The profile name, when WhatsApp reports one.
    let name: String?

    /// The number in E.164 (`+5511987654321`); nil for a JID that carries no number (`@lid`).
    var phoneNumber: String? {
        guard let at = jid.firstIndex(of: "@"), jid[at...] == "@s.whatsapp.net" else { return nil }
        let user = jid[..<at].split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        guard (7...15).contains(user.count), user.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return "+" + user
    }

    /// What logs may carry of the account: at most the number's last four digits (`…4321`), never the number or
    /// the profile name.
    var masked: String {
        guard let number = phoneNumber else { return "lid" }
        return "…" + String(number.suffix(4))
    }
}

/// The last disconnection recorded for a tenant.
struct Disconnection: Sendable, Equatable {
    let reason: DisconnectionReason
    /// Evolution's code (`statusReason`), when it gave one.
    let code: Int?
    /// When it was recorded, ISO 8601.
    let at: String
}

/// What status shows beyond the state: who is connected (while open) and why the connection last dropped.
struct StatusDetails: Sendable, Equatable {
    var account: ConnectedAccount? = nil
    /// When the instance opened, ISO 8601; nil unless open.
    var connectedAt: String? = nil
    var lastDisconnection: Disconnection? = nil

    static let none = StatusDetails()

    /// `data.account`, shown only while open.
    func accountJSON(state: EvolutionConnectionState?) -> JSONValue? {
        guard state == .open, let account else { return nil }
        return [
            "phoneNumber": .string(orNull: account.phoneNumber), "name": .string(orNull: account.name),
            "connectedAt": .string(orNull: connectedAt),
        ]
    }

    /// `data.lastDisconnection`, shown unless open.
    func lastDisconnectionJSON(state: EvolutionConnectionState?) -> JSONValue? {
        guard state != .open, let lastDisconnection else { return nil }
        return [
            "reason": .string(lastDisconnection.reason.rawValue), "message": .string(lastDisconnection.reason.message),
            "at": .string(lastDisconnection.at),
        ]
    }
}

/// What a pushed event or a status check tells beyond the state, written in the same statement.
struct ConnectionDetail: Sendable, Equatable {
    /// The account of an `open` (`wuid` and `profileName` of the event; `ownerJid` and `profileName` of
    /// `fetchInstances` when polling).
    var account: ConnectedAccount? = nil
    /// The cause of a drop, with Evolution's code (none for `connection_lost` seen by polling).
    var reason: DisconnectionReason? = nil
    var code: Int? = nil
    /// Whether `reason` replaces one already recorded for this drop (a close's code does; `logout.instance` and a
    /// close without a code do not).
    var replacesRecordedReason = false

    static let none = ConnectionDetail()
}
