/// The phone number a connect asks a pairing code for: E.164 without the `+`, digits only, 10 to 15 of them
/// (`5511999999999`). Anything else (spaces, `+`, dashes, parentheses) is refused, never cleaned.
///
/// It goes to Evolution and nowhere else: it is never stored, and its ``description`` (all that logs and test
/// failures can show) holds its last four digits only.
struct PairingNumber: Sendable, Equatable, CustomStringConvertible {
    /// The digits, for Evolution's `number` only.
    let digits: String

    /// The number `text` names, or nil unless it is 10 to 15 ASCII digits.
    init?(_ text: String) {
        let bytes = text.utf8
        guard Self.digitCount.contains(bytes.count),
            bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        digits = text
    }

    /// How many digits a number has: E.164 allows at most 15; 10 is a country code and the shortest subscriber
    /// numbers.
    static let digitCount = 10...15

    /// The last four digits: the most of the number a log line may show.
    var lastFourDigits: String { String(digits.suffix(4)) }

    /// `…9999`: never the whole number.
    var description: String { "…" + lastFourDigits }
}
