internal import COpenSSL

/// Bytes from OpenSSL's CSPRNG, for keys and nonces.
enum RandomBytes {
    /// `count` random bytes, or a crypto failure when the generator is not seeded (RAND_bytes(3) returns 0 then).
    static func make(count: Int) throws(SecretsError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw .openSSLFailure(in: "RAND_bytes") }
        return bytes
    }
}
