internal import COpenSSL

/// The one key a deployment verifies tokens with: an HS256 secret, or an RS256 / ES256 public key read from PEM.
///
/// Made once at start and shared, read-only, by every worker thread. For public keys this shares one `EVP_PKEY`:
/// OpenSSL 3 documents objects as "thread-safe as long as the API's being invoked don't modify the object"
/// (openssl-threads(7)); verification only takes a reference (`EVP_PKEY_up_ref`, atomic) and reads the
/// provider's key data, which the PEM decoder created and nothing changes afterwards. Parsing the key per thread
/// would buy nothing but start-up time. The key never comes from a token (`jwk`, `jku`, `x5c`, `x5u` and `kid`
/// are never used to find or load one).
public final class JWTVerificationKey: @unchecked Sendable {
    /// The shortest HS256 secret accepted, in bytes (RFC 7518 §3.2: at least the hash output size).
    public static let minimumSecretLength = 32
    /// The smallest RSA modulus accepted, in bits (RFC 7518 §3.3).
    public static let minimumRSABits = 2048

    /// The only algorithm tokens may name in `alg`.
    public let algorithm: JWTAlgorithm
    let material: Material

    /// The key itself. `EVP_PKEY *` is an opaque C type, imported as `OpaquePointer`.
    enum Material {
        /// An HS256 secret, as a keyed `EVP_MAC_CTX *` template that each verification copies.
        case secret(OpaquePointer)
        case publicKey(OpaquePointer, signatureLength: Int)
    }

    /// An HS256 key from a shared secret of at least ``minimumSecretLength`` bytes.
    public init(hmacSecret: [UInt8]) throws(JWTKeyError) {
        guard hmacSecret.count >= Self.minimumSecretLength else {
            throw JWTKeyError(.secretTooShort(minimumBytes: Self.minimumSecretLength))
        }
        let keyed = hmacSecret.withUnsafeBufferPointer { tw_hmac_sha256_keyed($0.baseAddress, $0.count) }
        guard let keyed else {
            ERR_clear_error()
            throw JWTKeyError(.openSSLFailure)
        }
        self.algorithm = .hs256
        self.material = .secret(keyed)
    }

    /// An RS256 or ES256 key from the text of a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block, or, for RSA, the
    /// PKCS#1 `RSA PUBLIC KEY` block that OpenSSL 3 reads as well.
    ///
    /// The key must suit `algorithm`: RSA of at least ``minimumRSABits`` bits for RS256, EC on P-256 for ES256.
    /// A private key or a certificate is refused: the responder needs, and should hold, only the public half.
    public init(publicKeyPEM: [UInt8], algorithm: JWTAlgorithm) throws(JWTKeyError) {
        guard algorithm != .hs256 else { throw JWTKeyError(.wrongKeyKind(.hs256)) }
        let key = try Self.readPublicKey(pem: publicKeyPEM)
        do {
            let signatureLength = try Self.checkSuitability(of: key, for: algorithm)
            self.algorithm = algorithm
            self.material = .publicKey(key, signatureLength: signatureLength)
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
    }

    deinit {
        switch material {
        case .secret(let keyed): EVP_MAC_CTX_free(keyed)
        case .publicKey(let key, _): EVP_PKEY_free(key)
        }
    }

    /// Reads the first public key block of `pem` (PEM_read_bio_PUBKEY skips blocks of other types).
    private static func readPublicKey(pem: [UInt8]) throws(JWTKeyError) -> OpaquePointer {
        let key: OpaquePointer? = pem.withUnsafeBytes { buffer in
            guard buffer.count <= Int(Int32.max), let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count))
            else { return nil }
            defer { BIO_free(bio) }
            // No password callback: a public key block is never encrypted.
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let key else {
            ERR_clear_error()
            throw JWTKeyError(.notAPublicKeyPEM)
        }
        return key
    }

    /// Checks that `key` fits `algorithm`; returns the signature length that algorithm produces with it.
    private static func checkSuitability(
        of key: OpaquePointer, for algorithm: JWTAlgorithm
    ) throws(JWTKeyError) -> Int {
        switch algorithm {
        case .rs256:
            // "RSA" only: an "RSA-PSS" key is restricted to PSS padding, which RS256 is not.
            guard EVP_PKEY_is_a(key, "RSA") == 1 else {
                throw JWTKeyError(.wrongKeyType(expected: "RSA", algorithm: .rs256))
            }
            let bits = Int(EVP_PKEY_get_bits(key))
            guard bits >= minimumRSABits else {
                throw JWTKeyError(.rsaKeyTooSmall(bits: bits, minimumBits: minimumRSABits))
            }
            // RFC 8017 §8.2.2: a signature is exactly as long as the modulus.
            return Int(EVP_PKEY_get_size(key))
        case .es256:
            guard EVP_PKEY_is_a(key, "EC") == 1 else {
                throw JWTKeyError(.wrongKeyType(expected: "EC", algorithm: .es256))
            }
            guard curveName(of: key) == "prime256v1" else { throw JWTKeyError(.wrongCurve) }
            return 64
        case .hs256:
            throw JWTKeyError(.wrongKeyKind(.hs256))
        }
    }

    /// The key's curve as OpenSSL names it (`prime256v1` for P-256), or nil.
    private static func curveName(of key: OpaquePointer) -> String? {
        var name = [CChar](repeating: 0, count: 64)
        var length = 0
        guard EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        return String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
