/// The live state of an instance's WhatsApp connection, as `connectionState` reports it.
public enum EvolutionConnectionState: String, Sendable, Equatable {
    /// Logged in: the phone scanned the QR code.
    case open
    /// A socket is up and waiting for a scan (QR codes are being shown), or is reconnecting.
    case connecting
    /// No socket: never connected, logged out, or between automatic reconnects.
    case close
}
