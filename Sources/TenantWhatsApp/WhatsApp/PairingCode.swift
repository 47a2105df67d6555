/// The code a person types on the phone (WhatsApp → Aparelhos conectados → Conectar um aparelho → Conectar com
/// número de telefone), as answered: Evolution's 8 characters in two groups of four, `ABCD-EFGH`.
struct PairingCode: Sendable, Equatable, CustomStringConvertible {
    /// `ABCD-EFGH`.
    let formatted: String

    /// The code in Evolution's `pairingCode` (Baileys makes 8 characters of Crockford's base 32, e.g. `WZYEH1YY`;
    /// a hyphen between the groups and lower case are accepted too), or nil when it is not such a code.
    init?(evolution text: String) {
        var bytes = Array(text.utf8)
        if bytes.count == 9, bytes[4] == UInt8(ascii: "-") { bytes.remove(at: 4) }
        let characters = bytes.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 }
        guard characters.count == 8,
            characters.allSatisfy({
                ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                    || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
            })
        else { return nil }
        formatted =
            String(decoding: characters[0..<4], as: UTF8.self) + "-"
            + String(decoding: characters[4..<8], as: UTF8.self)
    }

    var description: String { formatted }
}
