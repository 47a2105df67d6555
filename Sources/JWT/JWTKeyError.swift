/// Why a verification key cannot be used. Its description never contains key material.
public struct JWTKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the key.
    public enum Reason: Sendable, Equatable {
        /// An HMAC secret shorter than RFC 7518 §3.2 allows for HS256 (the hash size, 32 bytes).
        case secretTooShort(minimumBytes: Int)
        /// The algorithm needs a public key, or a secret, and got the other kind.
        case wrongKeyKind(JWTAlgorithm)
        /// The text holds no PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block that OpenSSL can read.
        case notAPublicKeyPEM
        /// The public key is of another type than the algorithm needs (an RSA key for ES256, say).
        case wrongKeyType(expected: String, algorithm: JWTAlgorithm)
        /// An RSA modulus shorter than RFC 7518 §3.3 allows (2048 bits).
        case rsaKeyTooSmall(bits: Int, minimumBits: Int)
        /// An EC key on another curve than P-256.
        case wrongCurve
        /// OpenSSL failed to set the key up.
        case openSSLFailure
    }

    /// What is wrong with the key.
    public let reason: Reason

    /// An error for `reason`.
    public init(_ reason: Reason) {
        self.reason = reason
    }

    /// A sentence for the operator, e.g. `holds an RSA key, but ES256 needs an EC key on P-256`.
    public var description: String {
        switch reason {
        case .secretTooShort(let minimum): "must be at least \(minimum) bytes long"
        case .wrongKeyKind(let algorithm):
            algorithm == .hs256 ? "HS256 needs a shared secret" : "\(algorithm.rawValue) needs a public key"
        case .notAPublicKeyPEM: "does not hold a PEM public key (-----BEGIN PUBLIC KEY-----)"
        case .wrongKeyType(let expected, let algorithm):
            "does not hold an \(expected) public key, which \(algorithm.rawValue) needs"
        case .rsaKeyTooSmall(let bits, let minimum):
            "holds a \(bits)-bit RSA key; RS256 needs at least \(minimum) bits"
        case .wrongCurve: "holds an EC key that is not on P-256, which ES256 needs"
        case .openSSLFailure: "could not be set up by OpenSSL"
        }
    }
}
