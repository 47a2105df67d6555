internal import COpenSSL

/// A 32-byte AES-256 key, as `SECRETS_KEY` and `SECRETS_KEY_PREVIOUS` hold it: the base64 of 32 random bytes.
///
/// The key bytes never leave this value except through ``base64``, which exists for the tool that makes a key.
/// Printing, interpolating or dumping a key shows only its ``id``. (Swift arrays may be copied and are not wiped
/// on release, so the bytes can outlive this value in freed memory; keep the process's memory private.)
public struct SecretsKey: Sendable {
    /// The length of an AES-256 key, in bytes.
    public static let byteCount = 32

    /// The key itself.
    let bytes: [UInt8]

    /// The key id: the first 8 bytes of SHA-256 of the key as 16 lowercase hex digits.
    ///
    /// Safe to show and to store next to a ciphertext: it names the key without revealing it (finding a key from
    /// 64 bits of its hash is a preimage search over 2^256 keys).
    public let id: String

    /// A key from standard base64 (RFC 4648 §4) of exactly 32 bytes, padding optional, surrounding whitespace
    /// (spaces, tabs, line breaks) ignored; anything else throws ``SecretsError/Kind/invalidKey``.
    public init(base64: String) throws(SecretsError) {
        let text = Array(base64.utf8)
        let isWhitespace: (UInt8) -> Bool = { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let start = text.firstIndex { !isWhitespace($0) } ?? text.endIndex
        let end = text.lastIndex { !isWhitespace($0) }.map { $0 + 1 } ?? start
        guard let bytes = Base64.decode(text[start..<end], paddingRequired: false) else {
            throw SecretsError(.invalidKey)
        }
        try self.init(bytes: bytes)
    }

    /// A key of exactly ``byteCount`` bytes, else ``SecretsError/Kind/invalidKey``.
    package init(bytes: [UInt8]) throws(SecretsError) {
        guard bytes.count == Self.byteCount else { throw SecretsError(.invalidKey) }
        self.bytes = bytes
        self.id = try Self.keyID(of: bytes)
    }

    /// A new key of 32 bytes from OpenSSL's CSPRNG (`RAND_bytes`).
    ///
    /// Throws a crypto failure only when OpenSSL's generator cannot be seeded.
    public static func generate() throws(SecretsError) -> SecretsKey {
        try SecretsKey(bytes: RandomBytes.make(count: byteCount))
    }

    /// The key as padded standard base64, the form `SECRETS_KEY` holds. For the tool that makes a key: never log it.
    public var base64: String {
        Base64.encode(bytes)
    }

    /// The first 8 bytes of SHA-256 of `bytes`, as lowercase hex.
    private static func keyID(of bytes: [UInt8]) throws(SecretsError) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha256(), nil) == 1, length == 32 else {
            throw .openSSLFailure(in: "EVP_Digest")
        }
        let digits = Array("0123456789abcdef".utf8)
        let hex = digest.prefix(8).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
        return String(decoding: hex, as: UTF8.self)
    }
}

extension SecretsKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `SecretsKey(id: …)`: the key id only, so that a key logged by mistake reveals nothing.
    public var description: String { "SecretsKey(id: \(id))" }

    /// The same as ``description``: no key bytes in debug output either.
    public var debugDescription: String { description }

    /// A mirror with the key id only, so that `dump` and debuggers show no key bytes.
    public var customMirror: Mirror { Mirror(self, children: ["id": id]) }
}
