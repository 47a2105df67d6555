/// Strict base64url decoding (RFC 4648 §5) for JWS segments (RFC 7515 §2: no padding, no whitespace).
///
/// Strict means that every byte string has exactly one accepted encoding: no `=`, no `+` or `/`, no whitespace or
/// line breaks, no length of the form 4n+1, and the unused low bits of the last character must be zero. A lenient
/// decoder would let one token be written many ways (Wycheproof tc 360–375), which breaks any cache, deny-list or
/// log correlation keyed on the token text. This is an encoding, not cryptography.
enum Base64URL {
    /// The bytes that `text` encodes, or nil when `text` is not canonical base64url without padding.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var pendingBits: UInt32 = 0
        for character in text {
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
        // What is left are the unused bits of the last character: 4 or 2 bits, or none.
        guard accumulator == 0 else { return nil }
        return output
    }

    /// The value of each byte as a base64url digit, or -1 for any other byte.
    private static let sextets: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = Int8(value) }
        return table
    }()
}
