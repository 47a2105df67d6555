import Foundation
import HTTPServer
import JWT
import Runtime
import Testing

@testable import TenantWhatsApp

@Suite("Configuration from the environment")
struct ConfigurationTests {
    /// A secret of exactly 32 bytes, the shortest accepted.
    static let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-32by"
    /// The smallest valid environment.
    static let minimal = [
        "DATABASE_URL": "postgresql:///x", "JWT_SECRET": secret, "EVOLUTION_API_URL": "http://127.0.0.1:8081",
        "EVOLUTION_API_KEY": "evolution-key-1234",
    ]

    private func environment(_ extra: [String: String]) -> [String: String] {
        Self.minimal.merging(extra) { $1 }
    }

    private func problem(_ environment: [String: String]) -> ConfigurationError? {
        do {
            _ = try Configuration.load(from: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func requiresDatabaseURLAndNamesIt() {
        #expect(throws: ConfigurationError(variable: "DATABASE_URL", problem: "is not set")) {
            try Configuration.load(from: [:])
        }
    }

    @Test func errorsNeverEchoTheValue() {
        let error = problem(environment(["DATABASE_URL": "postgresql://u:hunter2@h/db", "LOG_LEVEL": "loud"]))
        #expect(error?.variable == "LOG_LEVEL")
        #expect(error?.description.contains("loud") == false)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func defaultsToInfoLevelAndStandardError() throws {
        let configuration = try Configuration.load(from: environment(["LOG_FILE": ""]))
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFile == nil)
    }

    @Test(arguments: [("debug", "debug"), ("WARNING", "warning"), ("error", "error"), ("info", "info")])
    func readsLogLevel(value: String, expected: String) throws {
        let configuration = try Configuration.load(from: environment(["LOG_LEVEL": value]))
        #expect(configuration.logLevel.rawValue == expected)
    }

    @Test func requiresTheEvolutionServerAndKeyAfterTheJWTSettings() {
        var withoutURL = Self.minimal
        withoutURL["EVOLUTION_API_URL"] = nil
        #expect(problem(withoutURL)?.variable == "EVOLUTION_API_URL")
        var withoutKey = Self.minimal
        withoutKey["EVOLUTION_API_KEY"] = nil
        #expect(problem(withoutKey)?.variable == "EVOLUTION_API_KEY")
        // A JWT problem is named first, whatever else is missing.
        #expect(problem(["DATABASE_URL": "x"])?.variable == "JWT_SECRET")
    }

    @Test func readsTheQRCodeWaitWithADefault() throws {
        #expect(try Configuration.load(from: Self.minimal).qrWaitMilliseconds == 20_000)
        #expect(try Configuration.load(from: environment(["EVOLUTION_QR_WAIT_MS": "0"])).qrWaitMilliseconds == 0)
        for bad in ["-1", "30001", "soon"] {
            #expect(problem(environment(["EVOLUTION_QR_WAIT_MS": bad]))?.variable == "EVOLUTION_QR_WAIT_MS")
        }
    }

    @Test func readsAnHS256SecretWithDefaultsForTheRest() throws {
        let authentication = try Configuration.load(from: Self.minimal).authentication
        #expect(authentication.verifier.key.algorithm == .hs256)
        #expect(authentication.verifier.options == JWTValidationOptions())
        #expect(authentication.tenantClaim == "tenantId")
    }

    @Test func readsIssuerAudienceAndTenantClaim() throws {
        let authentication = try Configuration.load(
            from: environment([
                "JWT_ISSUER": "https://auth.example", "JWT_AUDIENCE": "tenant-whatsapp", "JWT_TENANT_CLAIM": "org",
                "JWT_ALGORITHM": "HS256",
            ])
        ).authentication
        #expect(authentication.verifier.options.issuer == "https://auth.example")
        #expect(authentication.verifier.options.audience == "tenant-whatsapp")
        #expect(authentication.tenantClaim == "org")
    }

    @Test func requiresAKeyAndNamesTheSecret() {
        #expect(problem(["DATABASE_URL": "x"])?.variable == "JWT_SECRET")
        #expect(problem(["DATABASE_URL": "x", "JWT_SECRET": ""])?.variable == "JWT_SECRET")
    }

    @Test func refusesAShortSecretWithoutQuotingIt() {
        let error = problem(environment(["JWT_SECRET": "only-31-bytes-of-secret-value!!"]))
        #expect(error?.variable == "JWT_SECRET")
        #expect(error?.description.contains("32 bytes") == true)
        #expect(error?.description.contains("only-31") == false)
    }

    @Test func refusesBothASecretAndAKeyFile() {
        #expect(
            problem(environment(["JWT_PUBLIC_KEY_FILE": "/k.pem", "JWT_ALGORITHM": "RS256"]))?.variable
                == "JWT_PUBLIC_KEY_FILE")
    }

    @Test(arguments: ["RS256", "ES256", "HS512", "none", "hs256"])
    func refusesAnAlgorithmOtherThanHS256WithASecret(algorithm: String) {
        #expect(problem(environment(["JWT_ALGORITHM": algorithm]))?.variable == "JWT_ALGORITHM")
    }

    @Test(arguments: [nil, "HS256", "PS256", "rs256", "none"])
    func refusesAKeyFileWithoutRS256OrES256(algorithm: String?) {
        var environment = ["DATABASE_URL": "x", "JWT_PUBLIC_KEY_FILE": "/dev/null"]
        environment["JWT_ALGORITHM"] = algorithm
        #expect(problem(environment)?.variable == "JWT_ALGORITHM")
    }

    @Test func refusesAnUnreadableOrEmptyKeyFile() {
        for path in ["/nonexistent/key.pem", "/", "/dev/null"] {
            let error = problem(["DATABASE_URL": "x", "JWT_PUBLIC_KEY_FILE": path, "JWT_ALGORITHM": "ES256"])
            #expect(error?.variable == "JWT_PUBLIC_KEY_FILE", "\(path)")
        }
    }

    @Test func readsAPublicKeyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tw-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("es256.pem")
        // RFC 7515 A.3's public key.
        try """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7
        6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
        -----END PUBLIC KEY-----

        """.write(to: file, atomically: false, encoding: .utf8)
        var environment = Self.minimal
        environment["JWT_SECRET"] = nil
        environment["JWT_PUBLIC_KEY_FILE"] = file.path
        environment["JWT_ALGORITHM"] = "ES256"
        let configuration = try Configuration.load(from: environment)
        #expect(configuration.authentication.verifier.key.algorithm == .es256)
        let wrongType = problem(environment.merging(["JWT_ALGORITHM": "RS256"]) { $1 })
        #expect(wrongType?.variable == "JWT_PUBLIC_KEY_FILE")
        #expect(wrongType?.description.contains("RSA") == true)
    }
}
