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
    /// The QR code to scan; nil when Evolution had none ready within the wait (answered 202).
    let qrCode: EvolutionQRCode?
    /// When the instance was created or adopted (ISO 8601).
    let createdAt: String

    /// The audit outcome: the kind, or `qr_pending` without a QR code.
    var auditOutcome: String { qrCode == nil ? "qr_pending" : kind.rawValue }
}
