import Runtime

/// Standard base64 (RFC 4648 §4) for keys and sealed texts: written with padding, read with or without it.
///
/// Sealed texts, which only ``SecretBox`` writes, are read with padding required, so that each payload has one
/// text and a text cut short by its padding does not open. Reading is strict otherwise: only the 64 digits and
/// trailing `=`, no whitespace or line breaks inside, padding (when present) exactly as long as the last group
/// needs, and the unused low bits of the last digit zero (``Base64Digits``).
enum Base64 {
    /// The padded base64 text of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        Base64Digits.standard.encode(bytes, padding: padding)
    }

    /// The bytes that `text` encodes, or nil when it is not base64 as described above.
    static func decode(_ text: ArraySlice<UInt8>, paddingRequired: Bool) -> [UInt8]? {
        let digits = text.prefix { $0 != padding }
        let tail = text.dropFirst(digits.count)
        guard tail.count <= 2, tail.allSatisfy({ $0 == padding }),
            (tail.isEmpty && !paddingRequired) || text.count % 4 == 0
        else { return nil }
        return Base64Digits.standard.decode(digits)
    }

    /// The padding character, `=`.
    private static let padding = UInt8(ascii: "=")
}
