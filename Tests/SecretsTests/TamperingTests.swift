import Secrets
import Testing

/// Texts that were moved, altered, cut or never sealed do not open, and say why.
@Suite("Tampered and malformed texts")
struct TamperingTests {
    let key: SecretsKey
    let box: SecretBox
    let sealed: String

    init() throws {
        key = try Fixtures.key()
        box = SecretBox(current: key)
        sealed = try box.seal("hunter2", context: Fixtures.context)
    }

    @Test(arguments: ["evolution_servers:sim-2:api_key", "evolution_servers:sim-1:webhook_secret", ""])
    func refusesTextSealedForAnotherContext(context: String) {
        #expect(throws: SecretsError(.authenticationFailed)) { try box.open(sealed, context: context) }
    }

    @Test func refusesEveryFlippedBitOfNonceCiphertextAndTag() throws {
        let count = try Fixtures.split(sealed).payload.count
        #expect(count == 12 + 7 + 16)
        for bit in 0..<(count * 8) {
            let altered = try Fixtures.altering(sealed) { $0[bit / 8] ^= 1 << UInt8(bit % 8) }
            #expect(throws: SecretsError(.authenticationFailed), "bit \(bit)") {
                try box.open(altered, context: Fixtures.context)
            }
        }
    }

    @Test func refusesAKeyIDChangedToTheOtherConfiguredKey() throws {
        let other = try Fixtures.key()
        let rotated = SecretBox(current: key, previous: other)
        let (_, _, payload) = try Fixtures.split(sealed)
        let relabelled = Fixtures.join(keyID: Substring(other.id), payload: payload)
        #expect(throws: SecretsError(.authenticationFailed)) { try rotated.open(relabelled, context: Fixtures.context) }
    }

    @Test func refusesEveryTruncationAndCallsThoseWithoutRoomForNonceAndTagMalformed() throws {
        for length in 0..<sealed.count {
            let truncated = String(sealed.prefix(length))
            #expect(throws: SecretsError.self, "length \(length)") {
                try box.open(truncated, context: Fixtures.context)
            }
        }
        for length in 0..<(12 + 16) {
            let short = Fixtures.join(keyID: Substring(key.id), payload: Array(repeating: 7, count: length))
            #expect(throws: SecretsError(.malformed), "payload of \(length) bytes") {
                try box.open(short, context: Fixtures.context)
            }
        }
        #expect(throws: SecretsError(.malformed)) { try box.open(String(sealed.prefix(3 + 16)), context: "") }
    }

    @Test func callsTextThatIsNotOfTheSealedFormMalformed() throws {
        let (_, keyID, payload) = try Fixtures.split(sealed)
        let base64 = Fixtures.join(keyID: keyID, payload: payload).split(separator: ":")[2]
        let texts = [
            "", "hunter2", "v1", "v1::", "v2:\(keyID):\(base64)", "V1:\(keyID):\(base64)", "\(keyID):\(base64)",
            "v1:\(keyID.uppercased()):\(base64)", "v1:\(keyID.dropLast()):\(base64)", "v1:\(keyID)0:\(base64)",
            "v1:\(keyID):\(base64)!", "v1:\(keyID): \(base64)", "v1:\(keyID):\(base64.dropLast(2))=",
            "v1:\(keyID):\(base64.replacingOccurrences(of: "=", with: "-"))",
            "v1:\(keyID):\(base64.replacingOccurrences(of: "=", with: ""))", "v1:\(keyID):\(base64):x",
            " v1:\(keyID):\(base64)", "v1:\(keyID):\(base64)\n", "v1:\(keyID):é\(base64)",
        ]
        for text in texts {
            #expect(throws: SecretsError(.malformed), "\(text)") { try box.open(text, context: Fixtures.context) }
        }
    }
}
