/// Random identifiers in Evolution's formats, from the system's random source.
enum RandomIdentifier {
    /// A version 4 UUID in lower case, as Evolution's `instanceId` (`uuidv4()`).
    static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }

    /// An upper-case UUID, as the default instance token (`uuidv4().toUpperCase()`).
    static func token() -> String {
        uuid().uppercased()
    }

    /// An 8-character pairing code as Baileys makes one (`bytesToCrockford(randomBytes(5))`): 40 random bits in
    /// its base-32 alphabet of digits and upper-case letters without 0, I, O and U. Evolution passes it on unformatted.
    static func pairingCode() -> String {
        let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
