import Foundation
import TestProcesses
import Testing

/// The Evolution servers' secrets at rest (issue 19): sealed under `SECRETS_KEY` in PostgreSQL, resealed by
/// `secrets rotate` under a new key, and a responder that cannot open them refuses to start with one line that
/// names `SECRETS_KEY` and never prints a key.
@Suite("Secrets at rest", .serialized)
struct SecretsAtRestTests {
    @Test func theStoredKeyIsSealedAndRotationResealsItSoTheResponderStartsWithOnlyTheNewKey() throws {
        let fleet = try TestServerFleet.start(label: "secrets_rotate", count: 2)
        defer { fleet.stop() }
        let before = try sealed(fleet)
        #expect(before.count == 2)
        for (server, columns) in before {
            let apiKey = try fleet.sim(server).apiKey
            #expect(!columns.apiKey.contains(apiKey), "\(server)'s API key is stored in the clear")
            #expect(columns.apiKey.hasPrefix("v1:") && columns.webhookSecret.hasPrefix("v1:"))
        }
        let oldKeyID = try #require(before["s1"].map { keyID(of: $0.apiKey) })
        #expect(
            before.values.allSatisfy { keyID(of: $0.apiKey) == oldKeyID && keyID(of: $0.webhookSecret) == oldKeyID })

        let newKey = TestServerFleet.newSecretsKey()
        let rotated = try fleet.cli(
            "secrets", "rotate", environment: ["SECRETS_KEY": newKey, "SECRETS_KEY_PREVIOUS": fleet.secretsKey])
        #expect(rotated.succeeded, "\(rotated.error)")

        let after = try sealed(fleet)
        let newKeyID = try #require(after["s1"].map { keyID(of: $0.apiKey) })
        #expect(newKeyID != oldKeyID)
        for (server, columns) in after {
            #expect(keyID(of: columns.apiKey) == newKeyID && keyID(of: columns.webhookSecret) == newKeyID, "\(server)")
            #expect(columns.apiKey != before[server]?.apiKey)
        }
        // A second rotation finds nothing left to reseal.
        let again = try fleet.cli("secrets", "rotate", environment: ["SECRETS_KEY": newKey])
        #expect(again.succeeded, "\(again.error)")
        #expect(try sealed(fleet).mapValues(\.apiKey) == after.mapValues(\.apiKey))

        // A responder with only the new key starts and reaches s1 with the key it opened.
        let stack = try TestWhatsAppStack.start(
            sim: fleet.sims[0], label: "secrets_rotate",
            environment: ["SECRETS_KEY": newKey, "EVOLUTION_API_URL": "", "EVOLUTION_API_KEY": ""],
            database: fleet.stack.databaseURL)
        defer { stack.stop() }
        let tenant = try #require(try fleet.insertTenants(1, prefix: "rotated").first)
        let connected = try stack.connect(tenant: tenant)
        #expect(connected.status == 201, "\(connected.text)")
        // The old key alone no longer opens anything.
        let refused = try serve(databaseURL: fleet.stack.databaseURL, secretsKey: fleet.secretsKey)
        #expect(refused.status != 0)
        #expect(refused.error.contains("SECRETS_KEY"), "\(refused.error)")
    }

    @Test func aResponderWithAWrongOrNoSecretsKeyExitsWithOneLineNamingItAndNeverPrintsAKey() throws {
        let fleet = try TestServerFleet.start(label: "secrets_wrong", count: 1)
        defer { fleet.stop() }
        let wrongKey = TestServerFleet.newSecretsKey()
        for key in [wrongKey, nil] {
            let result = try serve(databaseURL: fleet.stack.databaseURL, secretsKey: key)
            #expect(result.status != 0, "serve with SECRETS_KEY \(key == nil ? "unset" : "wrong") started")
            let lines = result.error.split(separator: "\n")
            #expect(lines.count == 1, "\(result.error)")
            #expect(result.error.contains("SECRETS_KEY"), "\(result.error)")
            for secret in [wrongKey, fleet.secretsKey, fleet.sims[0].apiKey] {
                #expect(!result.error.contains(secret) && !result.output.contains(secret), "a key was printed")
            }
        }
    }

    // MARK: - Helpers

    private struct SealedColumns: Equatable {
        let apiKey: String
        let webhookSecret: String
    }

    private func sealed(_ fleet: TestServerFleet) throws -> [String: SealedColumns] {
        let text = try fleet.stack.psql(
            "SELECT id || ' ' || api_key_sealed || ' ' || webhook_secret_sealed FROM evolution_servers ORDER BY id")
        var result: [String: SealedColumns] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 3 else { throw TestFailure("unexpected row: \(line)") }
            result[fields[0]] = SealedColumns(apiKey: fields[1], webhookSecret: fields[2])
        }
        return result
    }

    /// The key id of a `v1:<keyid>:<base64>` text.
    private func keyID(of sealed: String) -> String {
        let parts = sealed.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 3 ? String(parts[1]) : ""
    }

    /// Runs `tenant-whatsapp serve` on a socket of its own with `secretsKey` and no `EVOLUTION_API_URL`, expecting it
    /// to refuse to start: fails the test (and stops it) when it is still running after 20 s.
    private func serve(databaseURL: String, secretsKey: String?) throws -> CommandResult {
        let directory = try TestEnvironment.makeScratchDirectory("serve")
        defer { try? FileManager.default.removeItem(at: directory) }
        var environment = [
            "DATABASE_URL": databaseURL, "JWT_SECRET": TestTokens.secret,
            "LOG_FILE": directory.appendingPathComponent("serve.log").path,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        environment["SECRETS_KEY"] = secretsKey
        let output = directory.appendingPathComponent("out")
        let error = directory.appendingPathComponent("err")
        let process = try ChildProcess(
            arguments: [
                TestEnvironment.responderBinary, "serve", "--socket",
                directory.appendingPathComponent("serve.sock").path,
            ],
            environment: environment, standardOutput: .file(output.path), standardError: .file(error.path))
        do {
            try Wait.until("serve exits", timeoutSeconds: 20) { !process.isRunning }
        } catch {
            process.terminate()
            throw error
        }
        return CommandResult(
            status: process.waitForExit(), output: (try? String(contentsOf: output, encoding: .utf8)) ?? "",
            error: (try? String(contentsOf: error, encoding: .utf8)) ?? "")
    }
}
