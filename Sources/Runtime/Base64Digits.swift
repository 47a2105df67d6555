/// One base64 alphabet (RFC 4648): the shared core of standard base64 (`+/`, padded: the sealed secrets) and
/// base64url (`-_`, unpadded: JWS segments), each codec keeping its own rules about padding around it.
///
/// Strict: a digit outside the alphabet, or unused low bits of the last digit that are not zero, is refused, so
/// every byte string has exactly one accepted encoding. This is an encoding, not cryptography.
public struct Base64Digits: Sendable {
    /// `A–Z a–z 0–9 + /` (RFC 4648 §4).
    public static let standard = Base64Digits(
        alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    /// `A–Z a–z 0–9 - _` (RFC 4648 §5).
    public static let url = Base64Digits(alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// The 64 digits in value order.
    private let alphabet: [UInt8]
    /// The value of each byte as a digit, or -1 for any other byte.
    private let sextets: [Int8]

    private init(alphabet text: String) {
        alphabet = Array(text.utf8)
        var table = [Int8](repeating: -1, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = Int8(value) }
        sextets = table
    }

    /// The digits of `bytes`: four per three bytes, and a short last group as `count + 1` digits (unused bits zero),
    /// then `padding` up to four when given.
    public func encode(_ bytes: [UInt8], padding: UInt8? = nil) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group: UInt32 = 0
            for offset in 0..<3 {
                group = group << 8 | UInt32(offset < count ? bytes[index + offset] : 0)
            }
            for digit in 0..<4 {
                if digit <= count {
                    output.append(alphabet[Int(group >> UInt32(18 - 6 * digit) & 0x3F)])
                } else if let padding {
                    output.append(padding)
                }
            }
            index += count
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes that `digits` (no padding) encode, or nil when a byte is not a digit, the length is of the form
    /// 4n+1, or the unused low bits of the last digit are not zero.
    public func decode(_ digits: ArraySlice<UInt8>) -> [UInt8]? {
        guard digits.count % 4 != 1 else { return nil }
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
}
