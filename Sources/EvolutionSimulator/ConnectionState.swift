/// An instance's WhatsApp connection state, as Baileys' `WAConnectionState`.
public enum ConnectionState: String, Sendable, Equatable {
    /// Logged in.
    case open
    /// A socket is up, showing QR codes.
    case connecting
    /// No socket.
    case close
}
