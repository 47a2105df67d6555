internal import COpenSSL

/// HMAC-SHA-256 through OpenSSL's one-shot `HMAC()`: the project's one owner of that call (JWT's HS256 signer and the
/// Standard Webhooks signer use it).
public enum HMACSHA256 {
    /// The 32-byte MAC of `data` under `key`; a crypto failure only when OpenSSL fails (no memory).
    public static func mac(_ data: [UInt8], key: [UInt8]) throws(SecretsError) -> [UInt8] {
        // Its error queue is emptied afterwards, so that a stale entry never surfaces in a later TLS call.
        defer { ERR_clear_error() }
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var written: UInt32 = 0
        let computed = key.withUnsafeBytes { key in
            data.withUnsafeBufferPointer { input in
                mac.withUnsafeMutableBufferPointer { output in
                    HMAC(
                        EVP_sha256(), key.baseAddress, Int32(key.count), input.baseAddress, input.count,
                        output.baseAddress, &written) != nil
                }
            }
        }
        guard computed, written == 32 else { throw .openSSLFailure(in: "HMAC") }
        return Array(mac.prefix(32))
    }
}
