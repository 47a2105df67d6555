import JSON

/// An instance's `qrcode` object, exactly as Evolution keeps it in memory: `{count:0}` at first, then the latest
/// QR code. Evolution never clears it after a login or a logout, so `/connect` can answer a stale one.
struct QRCodeState: Sendable, Equatable {
    /// How many QR codes this instance has shown (0: none yet).
    var count = 0
    /// The latest QR code's string, once there is one.
    var code: String?
    /// The latest QR code as a PNG data URL, once there is one.
    var dataURL: String?
    /// The pairing code (pairing-code mode), `.some(nil)` once a QR code exists in QR mode, nil before.
    var pairingCode: String??

    /// The next QR code: count + 1 and the image for that count.
    mutating func advance(pairingCode newPairingCode: String?) {
        count += 1
        let image = QRCodeImages.image(forCount: count)
        code = image.code
        dataURL = image.dataURL
        pairingCode = .some(newPairingCode)
    }

    /// What `/connect` answers: `{"pairingCode","code","base64","count"}`, members still undefined left out
    /// (`res.json` drops them), so a new instance answers `{"count":0}`.
    var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let pairingCode { members.append(("pairingCode", .string(orNull: pairingCode))) }
        if let code { members.append(("code", .string(code))) }
        if let dataURL { members.append(("base64", .string(dataURL))) }
        members.append(("count", .integer(count)))
        return .object(members)
    }
}
