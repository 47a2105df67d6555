/// What `GET /instance/connect/{name}` (and a restart) answered.
public enum EvolutionConnectResult: Sendable, Equatable {
    /// A QR code to scan.
    case qrCode(EvolutionQRCode)
    /// No QR code yet (`{"count":0}`): Baileys makes it asynchronously. Ask again shortly.
    case qrCodePending
    /// The connection-state shape (`{"instance":{"instanceName":…,"state":…}}`), answered when already open.
    case state(EvolutionConnectionState)
}
