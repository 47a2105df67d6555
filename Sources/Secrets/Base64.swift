/// Standard base64 (RFC 4648 §4) for keys and sealed texts: written with padding, read with or without it.
///
/// Sealed texts, which only ``SecretBox`` writes, are read with padding required, so that each payload has one
/// text and a text cut short by its padding does not open. Reading is strict otherwise: only the 64 digits and trailing `=`, no whitespace or line breaks inside, padding
/// (when present) exactly as long as the last group needs, and the unused low bits of the last digit zero. This is
/// an encoding, not cryptography.
enum Base64 {
    /// The padded base64 text of `bytes`.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group: UInt32 = 0
            for offset in 0..<3 {
                group = group << 8 | UInt32(offset < count ? bytes[index + offset] : 0)
            }
            // Three bytes make four digits; a short last group makes count + 1 digits and is padded to four.
            for digit in 0..<4 {
                output.append(digit <= count ? alphabet[Int(group >> UInt32(18 - 6 * digit) & 0x3F)] : padding)
            }
            index += count
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes that `text` encodes, or nil when it is not base64 as described above.
    static func decode(_ text: ArraySlice<UInt8>, paddingRequired: Bool) -> [UInt8]? {
        let digits = text.prefix { $0 != padding }
        let tail = text.dropFirst(digits.count)
        guard tail.count <= 2, tail.allSatisfy({ $0 == padding }), digits.count % 4 != 1,
            (tail.isEmpty && !paddingRequired) || text.count % 4 == 0
        else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(digits.count * 3 / 4)
        var accumulator: UInt32 = 0
        var pendingBits: UInt32 = 0
        for character in digits {
            let sextet = sextets[Int(character)]
            guard sextet >= 0 else { return nil }
            accumulator = accumulator << 6 | UInt32(sextet)
            pendingBits += 6
            if pendingBits >= 8 {
                pendingBits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> pendingBits))
                accumulator &= (1 << pendingBits) - 1
            }
        }
        // What is left are the unused bits of the last digit: 4 or 2 bits, or none.
        guard accumulator == 0 else { return nil }
        return output
    }

    /// The padding character, `=`.
    private static let padding = UInt8(ascii: "=")

    /// The 64 digits in value order.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The value of each byte as a base64 digit, or -1 for any other byte.
    private static let sextets: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = Int8(value) }
        return table
    }()
}
