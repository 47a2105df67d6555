/// The kinds of events the SaaS backend receives (docs/event-webhooks.md), as the body's `type`.
enum ConnectionEventType: String, Sendable, CaseIterable {
    /// A connect handed out a QR code (one per connect attempt, not per rotation); the image is not sent.
    case qrCode = "whatsapp.qrcode"
    /// A connect handed out a pairing code; the code is not sent.
    case pairingCode = "whatsapp.pairing_code"
    /// The instance is waiting for its QR code or pairing code to be used.
    case connecting = "whatsapp.connecting"
    /// The number is connected (`account` tells which).
    case connected = "whatsapp.connected"
    /// The connection ended (`reason` tells why, when known).
    case disconnected = "whatsapp.disconnected"
}
