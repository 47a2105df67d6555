extension Base64URL {
    /// The canonical base64url text of `bytes` (RFC 4648 §5) without padding, as a JWS segment needs (RFC 7515 §2):
    /// the one encoding ``decode(_:)`` accepts.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var group: UInt32 = 0
            for offset in 0..<3 {
                group = group << 8 | UInt32(offset < count ? bytes[index + offset] : 0)
            }
            // Three bytes make four digits; a short last group makes count + 1 digits, its unused bits zero.
            for digit in 0...count {
                output.append(alphabet[Int(group >> UInt32(18 - 6 * digit) & 0x3F)])
            }
            index += count
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The 64 digits in value order.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
}
