/// Hexadecimal digits: the one table of them (JSON's `\u00XX`, percent-encoding, byte dumps for SQL).
public enum Hexadecimal {
    /// `0`–`9`, `a`–`f`, as UTF-8 bytes.
    public static let lowercaseDigits = Array("0123456789abcdef".utf8)
    /// `0`–`9`, `A`–`F`, as UTF-8 bytes (RFC 3986 percent-encoding prefers upper case).
    public static let uppercaseDigits = Array("0123456789ABCDEF".utf8)

    /// `bytes` as lower-case hex, two digits a byte.
    public static func lowercase(_ bytes: some Collection<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(lowercaseDigits[Int(byte >> 4)])
            text.append(lowercaseDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
