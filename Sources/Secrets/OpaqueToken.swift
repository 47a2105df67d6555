internal import COpenSSL
import Runtime

/// A bearer secret handed to a client and stored only as its digest: 32 random bytes (256 bits) as 64 lower-case hex
/// digits. For the event stream's tickets (docs/events.md), which travel in a URL where a JWT must not.
public enum OpaqueToken {
    /// Hex digits in a token.
    public static let length = 64

    /// A new token from OpenSSL's CSPRNG.
    public static func generate() throws(SecretsError) -> String {
        Hexadecimal.lowercase(try RandomBytes.make(count: length / 2))
    }

    /// The SHA-256 of `token`'s UTF-8 bytes, as lower-case hex: what is stored and looked up. Nil when `token` is not
    /// shaped like one (so a malformed value costs no lookup).
    public static func digest(of token: String) -> String? {
        let bytes = Array(token.utf8)
        guard bytes.count == length,
            bytes.allSatisfy({ Hexadecimal.lowercaseDigits.contains($0) })
        else { return nil }
        var digest = [UInt8](repeating: 0, count: 32)
        var digestLength: UInt32 = 0
        guard EVP_Digest(bytes, bytes.count, &digest, &digestLength, EVP_sha256(), nil) == 1, digestLength == 32 else {
            return nil
        }
        return Hexadecimal.lowercase(digest)
    }
}
