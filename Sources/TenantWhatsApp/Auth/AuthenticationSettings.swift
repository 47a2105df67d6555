import HTTPServer
import JWT
import Runtime

/// How requests are authenticated: the one JWT key with its rules, and the claim that names the user's tenant.
///
/// Read from the environment at start; the key is parsed once here and shared by every worker thread.
public struct AuthenticationSettings: Sendable {
    /// The verifier for bearer tokens.
    public let verifier: JWTVerifier
    /// `JWT_TENANT_CLAIM`: the claim holding the tenant the token's user may manage (default `tenantId`).
    public let tenantClaim: String

    /// Settings from their parts.
    public init(verifier: JWTVerifier, tenantClaim: String = "tenantId") {
        self.verifier = verifier
        self.tenantClaim = tenantClaim
    }

    /// Reads `JWT_SECRET` (HS256) or `JWT_PUBLIC_KEY_FILE` + `JWT_ALGORITHM` (RS256, ES256), and `JWT_ISSUER`,
    /// `JWT_AUDIENCE`, `JWT_TENANT_CLAIM`. Empty values count as unset. Errors name the variable, never a secret.
    public static func load(from environment: [String: String]) throws(ConfigurationError) -> AuthenticationSettings {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let key: JWTVerificationKey
        switch (value("JWT_SECRET"), value("JWT_PUBLIC_KEY_FILE")) {
        case (nil, nil):
            throw ConfigurationError(
                variable: "JWT_SECRET",
                problem: "is not set: set it (HS256, at least 32 bytes) or JWT_PUBLIC_KEY_FILE with JWT_ALGORITHM")
        case (.some, .some):
            throw ConfigurationError(
                variable: "JWT_PUBLIC_KEY_FILE", problem: "is set together with JWT_SECRET: configure exactly one key")
        case (let secret?, nil):
            key = try hmacKey(secret: secret, algorithm: value("JWT_ALGORITHM"))
        case (nil, let path?):
            key = try publicKey(path: path, algorithm: value("JWT_ALGORITHM"))
        }
        let options = JWTValidationOptions(issuer: value("JWT_ISSUER"), audience: value("JWT_AUDIENCE"))
        return AuthenticationSettings(
            // The tokens verified recently are remembered, for every worker thread: a page polling status re-sends
            // the same one every few seconds.
            verifier: JWTVerifier(key: key, options: options, verifiedTokens: VerifiedTokenCache()),
            tenantClaim: value("JWT_TENANT_CLAIM") ?? "tenantId")
    }

    private static func hmacKey(secret: String, algorithm: String?) throws(ConfigurationError) -> JWTVerificationKey {
        guard algorithm == nil || algorithm == JWTAlgorithm.hs256.rawValue else {
            throw ConfigurationError(
                variable: "JWT_ALGORITHM",
                problem: "must be HS256 (or unset) with JWT_SECRET; RS256 and ES256 need "
                    + "JWT_PUBLIC_KEY_FILE instead")
        }
        do {
            return try JWTVerificationKey(hmacSecret: Array(secret.utf8))
        } catch {
            throw ConfigurationError(variable: "JWT_SECRET", problem: error.description)
        }
    }

    private static func publicKey(
        path: String, algorithm name: String?
    ) throws(ConfigurationError) -> JWTVerificationKey {
        guard let name else {
            throw ConfigurationError(
                variable: "JWT_ALGORITHM", problem: "is not set: JWT_PUBLIC_KEY_FILE needs RS256 or ES256")
        }
        guard let algorithm = JWTAlgorithm(rawValue: name), algorithm != .hs256 else {
            throw ConfigurationError(
                variable: "JWT_ALGORITHM",
                problem: "must be RS256 or ES256 with JWT_PUBLIC_KEY_FILE (HS256 takes JWT_SECRET)")
        }
        let pem = try readKeyFile(path)
        do {
            return try JWTVerificationKey(publicKeyPEM: pem, algorithm: algorithm)
        } catch {
            throw ConfigurationError(variable: "JWT_PUBLIC_KEY_FILE", problem: "(\(path)) \(error.description)")
        }
    }

    /// The largest key file read; a PEM public key is a few hundred bytes (a 16384-bit RSA key, about 3 KiB).
    private static let maximumKeyFileSize = 64 * 1024

    /// The bytes of the key file at `path`.
    private static func readKeyFile(_ path: String) throws(ConfigurationError) -> [UInt8] {
        do {
            return try FileContents.read(path: path, limit: maximumKeyFileSize)
        } catch {
            let problem =
                switch error {
                case .unreadable(let code): "cannot be read: \(SystemError.message(code))"
                case .tooLarge(let limit): "is larger than \(limit) bytes"
                }
            throw ConfigurationError(variable: "JWT_PUBLIC_KEY_FILE", problem: "(\(path)) " + problem)
        }
    }
}
