/// A QR code to show the user, as `connect` and `create` return it.
public struct EvolutionQRCode: Sendable, Equatable {
    /// The QR code as a PNG data URL (`data:image/png;base64,…`), ready for an `<img src>`.
    public let pngDataURL: String
    /// The raw string encoded in the QR code, when Evolution sent it.
    public let code: String?
    /// The pairing code (8 characters) in pairing-code mode, else nil.
    public let pairingCode: String?
    /// Which QR code of the session this is (1, 2, …): it grows each time the code rotates.
    public let count: Int

    /// A QR code from its parts.
    public init(pngDataURL: String, code: String?, pairingCode: String?, count: Int) {
        self.pngDataURL = pngDataURL
        self.code = code
        self.pairingCode = pairingCode
        self.count = count
    }

    /// The prefix every `pngDataURL` has.
    public static let pngDataURLPrefix = "data:image/png;base64,"
}
