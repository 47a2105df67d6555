/// Why a key could not be read or a secret could not be sealed or opened.
///
/// Its ``description`` is one sentence that is safe to log: it never holds key material, a plaintext or a sealed
/// text, only a key id (which is a hash prefix, not the key) or OpenSSL's reason string.
public struct SecretsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong; the stable code a caller switches on.
    public enum Kind: Sendable, Equatable {
        /// The key text is not the standard base64 of exactly 32 bytes.
        case invalidKey
        /// The sealed text is not in the `v1:<key id>:<base64>` form, or its payload is too short to hold a nonce
        /// and a tag.
        case malformed
        /// The sealed text names a key that is neither the current nor the previous one.
        case unknownKey(keyID: String)
        /// The tag did not verify: the text was altered, or it was sealed for another context (another row).
        case authenticationFailed
        /// OpenSSL failed in `function` for a reason other than the data, e.g. no randomness or no memory.
        case cryptoFailure(function: String, reason: String)
    }

    /// What went wrong.
    public let kind: Kind

    /// An error of `kind`.
    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// A sentence for the operator, e.g. `the sealed text names key 66687aadf862bd77, which is not configured`.
    public var description: String {
        switch kind {
        case .invalidKey: "the key is not the standard base64 of 32 bytes"
        case .malformed: "the sealed text is not of the form v1:<key id>:<base64 of nonce, ciphertext and tag>"
        case .unknownKey(let keyID):
            "the sealed text names key \(keyID), which is neither the current nor the previous key"
        case .authenticationFailed:
            "the sealed text does not authenticate: it was altered, or sealed for another context"
        case .cryptoFailure(let function, let reason): "OpenSSL failed in \(function): \(reason)"
        }
    }
}
