import Foundation
import Testing

/// A responder with a bad JWT configuration refuses to start: exit status non-zero, one line on stderr that names
/// the variable and never quotes the secret (README, "Configuration").
@Suite("JWT configuration at start")
struct JWTStartupTests {
    /// A valid 32-byte secret whose text must never appear in any output.
    static let secret = "never-print-me-0123456789abcdefg"

    /// The RFC 7515 A.2 RSA public key.
    static let rsaPublicKey = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAofgWCuLjybRlzo0tZWJj
        NiuSfb4p4fAkd/wWJcyQoTbji9k0l8W26mPddxHmfHQp+Vaw+4qPCJrcS2mJPMEz
        P1Pt0Bm4d4QlL+yRT+SFd2lZS+pCgNMsD1W/YpRPEwOWvG6b32690r2jZ47soMZo
        9wGzjb/7OMg0LOL+bSf63kpaSHSXndS5z5rexMdbBYUsLA9e+KXBdQOS+UTo7WTB
        EMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6/I5IhlJH7aGhyxX
        FvUK+DWNmoudF8NAco9/h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXp
        oQIDAQAB
        -----END PUBLIC KEY-----

        """

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let environment: [String: String]
        let variable: String
        var testDescription: String { name }
    }

    static let directory: URL = {
        let directory = try! TestEnvironment.makeScratchDirectory("jwtstart")
        try! rsaPublicKey.write(to: directory.appendingPathComponent("rsa.pem"), atomically: false, encoding: .utf8)
        try! "not a key\n".write(to: directory.appendingPathComponent("junk.pem"), atomically: false, encoding: .utf8)
        return directory
    }()

    static var cases: [Case] {
        let rsa = directory.appendingPathComponent("rsa.pem").path
        let junk = directory.appendingPathComponent("junk.pem").path
        return [
            Case(name: "no key at all", environment: [:], variable: "JWT_SECRET"),
            Case(
                name: "HS256 secret of 31 bytes", environment: ["JWT_SECRET": String(secret.dropLast())],
                variable: "JWT_SECRET"),
            Case(
                name: "secret and key file",
                environment: ["JWT_SECRET": secret, "JWT_PUBLIC_KEY_FILE": rsa, "JWT_ALGORITHM": "RS256"],
                variable: "JWT_PUBLIC_KEY_FILE"),
            Case(
                name: "secret with RS256", environment: ["JWT_SECRET": secret, "JWT_ALGORITHM": "RS256"],
                variable: "JWT_ALGORITHM"),
            Case(
                name: "unknown algorithm", environment: ["JWT_PUBLIC_KEY_FILE": rsa, "JWT_ALGORITHM": "HS512"],
                variable: "JWT_ALGORITHM"),
            Case(
                name: "key file without algorithm", environment: ["JWT_PUBLIC_KEY_FILE": rsa], variable: "JWT_ALGORITHM"
            ),
            Case(
                name: "unreadable key file",
                environment: ["JWT_PUBLIC_KEY_FILE": "/nonexistent/key.pem", "JWT_ALGORITHM": "RS256"],
                variable: "JWT_PUBLIC_KEY_FILE"),
            Case(
                name: "key file is a folder",
                environment: ["JWT_PUBLIC_KEY_FILE": directory.path, "JWT_ALGORITHM": "ES256"],
                variable: "JWT_PUBLIC_KEY_FILE"),
            Case(
                name: "not a PEM key", environment: ["JWT_PUBLIC_KEY_FILE": junk, "JWT_ALGORITHM": "ES256"],
                variable: "JWT_PUBLIC_KEY_FILE"),
            Case(
                name: "RSA key for ES256", environment: ["JWT_PUBLIC_KEY_FILE": rsa, "JWT_ALGORITHM": "ES256"],
                variable: "JWT_PUBLIC_KEY_FILE"),
        ]
    }

    @Test(arguments: cases)
    func badConfigurationStopsTheResponderWithOneLineNamingTheVariable(_ badCase: Case) throws {
        var environment = badCase.environment
        environment["DATABASE_URL"] = "postgresql:///unused?host=/nonexistent"
        let socket = Self.directory.appendingPathComponent("never.sock").path
        // `timeout` guards against a responder that wrongly starts (it would serve until killed: status 124).
        let result = try Subprocess.run(
            ["/usr/bin/timeout", "10", TestEnvironment.responderBinary, "serve", "--socket", socket],
            environment: environment)
        #expect(result.status != 0 && result.status != 124, "exit status \(result.status)")
        let lines = result.error.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.error)")
        #expect(lines.first?.contains(badCase.variable) == true, "stderr: \(result.error)")
        #expect(!result.error.contains(Self.secret.prefix(16)))
        #expect(!result.output.contains(Self.secret.prefix(16)))
        #expect(!FileManager.default.fileExists(atPath: socket))
    }
}
