import Foundation
import Secrets

/// Keys, texts and payload surgery shared by the suites. Base64 here is Foundation's, independent of the target's.
enum Fixtures {
    /// A plaintext that is easy to find in any output.
    static let plaintext = "evo-api-key-7f3c9a1e-do-not-log"
    /// The context of one row's column.
    static let context = "evolution_servers:sim-1:api_key"

    /// A fresh random key.
    static func key() throws -> SecretsKey {
        try SecretsKey.generate()
    }

    /// The key of `byte` repeated 32 times, through its base64 text.
    static func key(repeating byte: UInt8) throws -> SecretsKey {
        try SecretsKey(base64: Data(repeating: byte, count: 32).base64EncodedString())
    }

    /// The three fields of a sealed text, the payload decoded.
    static func split(_ sealed: String) throws -> (version: Substring, keyID: Substring, payload: [UInt8]) {
        let parts = sealed.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Data(base64Encoded: String(parts[2])) else {
            throw FixtureError.notSealedText
        }
        return (parts[0], parts[1], Array(payload))
    }

    /// A sealed text with the given fields.
    static func join(version: Substring = "v1", keyID: Substring, payload: [UInt8]) -> String {
        "\(version):\(keyID):\(Data(payload).base64EncodedString())"
    }

    /// `sealed` with its decoded payload changed by `change`.
    static func altering(_ sealed: String, _ change: (inout [UInt8]) -> Void) throws -> String {
        let (version, keyID, payload) = try split(sealed)
        var altered = payload
        change(&altered)
        return join(version: version, keyID: keyID, payload: altered)
    }

    /// What went wrong in a fixture.
    enum FixtureError: Error {
        case notSealedText
    }
}
