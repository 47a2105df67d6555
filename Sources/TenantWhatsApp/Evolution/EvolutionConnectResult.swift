/// What `GET /instance/connect/{name}` (and a restart) answered.
public enum EvolutionConnectResult: Sendable, Equatable {
    /// A QR code to scan.
    case qrCode(EvolutionQRCode)
    /// Pairing-code mode: the pairing code, before the QR code image that comes with it (Evolution sets
    /// `pairingCode` a moment before `base64`).
    case pairingCode(String)
    /// No QR code yet (`{"count":0}`): Baileys makes it asynchronously. Ask again shortly.
    case qrCodePending
    /// The connection-state shape (`{"instance":{"instanceName":…,"state":…}}`), answered when already open.
    case state(EvolutionConnectionState)
}
