/// What `POST /instance/create` answered (HTTP 201).
public struct EvolutionCreatedInstance: Sendable, Equatable {
    /// The instance name, as Evolution stored it.
    public let name: String
    /// Evolution's id of the instance (a UUID).
    public let instanceID: String
    /// The live state right after create: usually `connecting` when a QR code was requested.
    public let status: EvolutionConnectionState
    /// The instance's own token (`hash`).
    public let token: EvolutionInstanceToken
    /// The QR code, `.qrCodePending` when it was requested but has not arrived (`"qrcode":{"count":0}`), or nil
    /// when the answer has no `qrcode` at all.
    public let qrCode: EvolutionConnectResult?

    /// An instance from its parts.
    public init(
        name: String, instanceID: String, status: EvolutionConnectionState, token: EvolutionInstanceToken,
        qrCode: EvolutionConnectResult?
    ) {
        self.name = name
        self.instanceID = instanceID
        self.status = status
        self.token = token
        self.qrCode = qrCode
    }
}
