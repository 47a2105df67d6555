import Secrets
import Testing

/// Error texts are safe to log: no key, no plaintext, no sealed payload.
@Suite("Error descriptions")
struct SecretsErrorTests {
    @Test func neverContainTheKeyThePlaintextOrTheSealedText() throws {
        let key = try Fixtures.key()
        let box = SecretBox(current: key)
        let sealed = try box.seal(Fixtures.plaintext, context: Fixtures.context)
        let payload = String(sealed.split(separator: ":")[2])
        let errors = [
            capture { _ = try SecretsKey(base64: String(key.base64.dropFirst(4))) },
            capture { _ = try box.open(Fixtures.plaintext, context: Fixtures.context) },
            capture { _ = try SecretBox(current: try Fixtures.key()).open(sealed, context: Fixtures.context) },
            capture { _ = try box.open(sealed, context: "evolution_servers:sim-2:api_key") },
            SecretsError(.cryptoFailure(function: "EVP_EncryptUpdate", reason: "malloc failure")),
        ]
        let kinds = errors.compactMap { $0?.kind }
        #expect(
            kinds == [
                .invalidKey, .malformed, .unknownKey(keyID: key.id), .authenticationFailed,
                .cryptoFailure(function: "EVP_EncryptUpdate", reason: "malloc failure"),
            ])
        for error in errors.compactMap({ $0 }) {
            let text = error.description
            #expect(!text.isEmpty)
            for secret in [key.base64, String(key.base64.dropFirst(4)), Fixtures.plaintext, payload, Fixtures.context] {
                #expect(!text.contains(secret), "\(error.kind)")
            }
        }
    }

    @Test func nameTheUnknownKeyByItsID() {
        let error = SecretsError(.unknownKey(keyID: "0123456789abcdef"))
        #expect(error.description.contains("0123456789abcdef"))
    }

    /// The error `body` throws, if it is a ``SecretsError``.
    private func capture(_ body: () throws -> Void) -> SecretsError? {
        do {
            try body()
            return nil
        } catch {
            return error as? SecretsError
        }
    }
}
