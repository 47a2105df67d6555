internal import COpenSSL
import JSON

/// The key, clock and verifiers the JWT fuzz targets share: the secret of the seed tokens in `Fuzz/corpus`.
enum FuzzKey {
    static let secret = Array("fuzz-secret-0123456789abcdef-0123456789".utf8)
    /// 2026-11-30T00:00:00Z, inside the validity of the seed tokens.
    static let now = 1_795_996_800
    static let key: JWTVerificationKey = {
        guard let key = try? JWTVerificationKey(hmacSecret: secret) else { fatalError("fuzz key refused") }
        return key
    }()
    static let verifier = JWTVerifier(key: key, clock: .fixed(at: now))
    static let strictVerifier = JWTVerifier(
        key: key, options: JWTValidationOptions(issuer: "https://issuer.example", audience: "tenant-whatsapp"),
        clock: .fixed(at: now))

    /// HMAC-SHA-256 of `input` with the fuzz secret.
    static func mac(_ input: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var written: UInt32 = 0
        secret.withUnsafeBytes { key in
            input.withUnsafeBufferPointer { message in
                mac.withUnsafeMutableBufferPointer { output in
                    _ = HMAC(
                        EVP_sha256(), key.baseAddress, Int32(key.count), message.baseAddress, message.count,
                        output.baseAddress, &written)
                }
            }
        }
        return Array(mac.prefix(Int(written)))
    }
}
