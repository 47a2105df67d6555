import Secrets
import Testing

/// Sealing and opening with one key, and with a rotation's two keys.
@Suite("Sealing and opening")
struct SecretBoxTests {
    @Test(arguments: [Fixtures.plaintext, "", "x", "çà et là — 🔑 秘密", String(repeating: "long secret ", count: 500)])
    func opensWhatItSealed(plaintext: String) throws {
        let box = SecretBox(current: try Fixtures.key())
        let sealed = try box.seal(plaintext, context: Fixtures.context)
        #expect(try box.open(sealed, context: Fixtures.context) == plaintext)
    }

    @Test func sealsTheSameTextDifferentlyEachTimeAndBothOpen() throws {
        let box = SecretBox(current: try Fixtures.key())
        let first = try box.seal(Fixtures.plaintext, context: Fixtures.context)
        let second = try box.seal(Fixtures.plaintext, context: Fixtures.context)
        #expect(first != second)
        #expect(try Fixtures.split(first).payload.prefix(12) != Fixtures.split(second).payload.prefix(12))
        #expect(try box.open(first, context: Fixtures.context) == Fixtures.plaintext)
        #expect(try box.open(second, context: Fixtures.context) == Fixtures.plaintext)
    }

    @Test func writesAnASCIITextNamingTheKeyWithoutThePlaintextOrTheKey() throws {
        let key = try Fixtures.key()
        let sealed = try SecretBox(current: key).seal(Fixtures.plaintext, context: Fixtures.context)
        #expect(sealed.hasPrefix("v1:\(key.id):"))
        #expect(sealed.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        #expect(!sealed.contains(Fixtures.plaintext))
        #expect(!sealed.contains(key.base64))
        #expect(!sealed.contains(key.base64.dropLast()))
        // Nonce, ciphertext as long as the plaintext, tag.
        #expect(try Fixtures.split(sealed).payload.count == 12 + Fixtures.plaintext.utf8.count + 16)
    }

    @Test func opensWithThePreviousKeyWhatItSealedButSealsWithTheCurrentKey() throws {
        let old = try Fixtures.key()
        let new = try Fixtures.key()
        let sealedBefore = try SecretBox(current: old).seal(Fixtures.plaintext, context: Fixtures.context)
        let rotated = SecretBox(current: new, previous: old)
        #expect(try rotated.open(sealedBefore, context: Fixtures.context) == Fixtures.plaintext)
        let sealedAfter = try rotated.seal(Fixtures.plaintext, context: Fixtures.context)
        #expect(try Fixtures.split(sealedAfter).keyID == Substring(new.id))
        #expect(rotated.currentKeyID == new.id)
        #expect(try SecretBox(current: new).open(sealedAfter, context: Fixtures.context) == Fixtures.plaintext)
    }

    @Test func tellsWhetherATextIsSealedUnderTheCurrentKey() throws {
        let old = try Fixtures.key()
        let new = try Fixtures.key()
        let rotated = SecretBox(current: new, previous: old)
        #expect(!rotated.isSealedUnderCurrentKey(try SecretBox(current: old).seal("a", context: Fixtures.context)))
        #expect(rotated.isSealedUnderCurrentKey(try rotated.seal("a", context: Fixtures.context)))
        #expect(!rotated.isSealedUnderCurrentKey("plain api key"))
        #expect(!rotated.isSealedUnderCurrentKey("v1:\(new.id):"))
    }

    @Test func namesAKeyItDoesNotHoldAsUnknown() throws {
        let stranger = try Fixtures.key()
        let sealed = try SecretBox(current: stranger).seal(Fixtures.plaintext, context: Fixtures.context)
        let box = SecretBox(current: try Fixtures.key(), previous: try Fixtures.key())
        #expect(throws: SecretsError(.unknownKey(keyID: stranger.id))) {
            try box.open(sealed, context: Fixtures.context)
        }
    }
}
