/// What a connect did, for its answer and its audit row.
struct ConnectOutcome: Sendable {
    /// How the tenant got its instance.
    enum Kind: String, Sendable {
        /// Created upstream by this request: 201.
        case created
        /// The tenant's stored, not yet connected instance: 200.
        case reused
        /// An instance of that name already upstream, unknown to the database (left by an earlier failure): 200.
        case adopted
    }

    let kind: Kind
    let instanceName: String
    /// The QR code to scan; nil when Evolution had none ready within the wait (answered 202), and in pairing-code
    /// mode when the pairing code came before its image.
    let qrCode: EvolutionQRCode?
    /// When the instance was created or adopted (ISO 8601).
    let createdAt: String
    /// Whether the request asked for a pairing code (a `number`): the answer then has `pairingCode`.
    let pairing: Bool
    /// The pairing code to type on the phone (pairing-code mode); nil when none came within the wait (202).
    let pairingCode: PairingCode?

    /// A QR-code outcome (`pairing` false).
    init(kind: Kind, instanceName: String, qrCode: EvolutionQRCode?, createdAt: String) {
        self.init(kind: kind, instanceName: instanceName, code: .qrCode(qrCode), createdAt: createdAt)
    }

    /// What there is to show.
    enum Code: Sendable {
        /// QR-code mode: the QR code, or nil when it is not ready.
        case qrCode(EvolutionQRCode?)
        /// Pairing-code mode: the pairing code (nil when not ready) and the QR code that came with it, if any.
        case pairing(PairingCode?, qrCode: EvolutionQRCode?)
    }

    init(kind: Kind, instanceName: String, code: Code, createdAt: String) {
        self.kind = kind
        self.instanceName = instanceName
        self.createdAt = createdAt
        switch code {
        case .qrCode(let qrCode):
            self.qrCode = qrCode
            self.pairing = false
            self.pairingCode = nil
        case .pairing(let pairingCode, let qrCode):
            self.qrCode = qrCode
            self.pairing = true
            self.pairingCode = pairingCode
        }
    }

    /// Nothing to show yet: no QR code, or in pairing-code mode no pairing code (answered 202).
    var isPending: Bool { pairing ? pairingCode == nil : qrCode == nil }

    /// The audit outcome: the kind, or `qr_pending` without a code to show.
    var auditOutcome: String { isPending ? "qr_pending" : kind.rawValue }
}
