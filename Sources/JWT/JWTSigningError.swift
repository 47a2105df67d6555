/// Why a token could not be signed. Its description never contains the secret or a claim.
public struct JWTSigningError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What stood in the way.
    public enum Reason: String, Sendable, CaseIterable {
        /// The HMAC secret is empty (jsonwebtoken refuses it too: "secretOrPrivateKey must have a value").
        case emptySecret = "the secret is empty"
        /// The secret is longer than OpenSSL's `HMAC()` takes (`Int32.max` bytes).
        case secretTooLong = "the secret is too long"
        /// The claims are not a JSON object (RFC 7519 §7.1: the claims set is one).
        case claimsNotAnObject = "the claims are not a JSON object"
        /// OpenSSL failed to compute the MAC.
        case openSSLFailure = "OpenSSL could not compute the HMAC"
    }

    /// What stood in the way.
    public let reason: Reason

    /// An error for `reason`.
    public init(_ reason: Reason) {
        self.reason = reason
    }

    /// `cannot sign JWT: the secret is empty`.
    public var description: String { "cannot sign JWT: \(reason.rawValue)" }
}
