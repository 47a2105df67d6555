import Secrets
import Testing

/// AES-256-GCM against a published vector, and the sealed text's layout around it.
@Suite("Known answers")
struct KnownAnswerTests {
    // Test Case 16 of D. McGrew and J. Viega, "The Galois/Counter Mode of Operation (GCM)", revised 2005, Appendix B
    // (AES-256, 96-bit IV, 60-byte plaintext, 20-byte AAD), the paper submitted to NIST with GCM (csrc.nist.gov).
    static let key = bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
    static let nonce = bytes("cafebabefacedbaddecaf888")
    static let plaintext = bytes(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
    static let additionalData = bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    static let ciphertext = bytes(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
            + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
    static let tag = bytes("76fc6ece0f4e1768cddf8853bb2d551b")

    @Test func sealsTestCase16ToItsPublishedCiphertextAndTag() throws {
        let sealed = try AESGCM.seal(
            Self.plaintext, key: Self.key, nonce: Self.nonce, additionalData: Self.additionalData)
        #expect(sealed == Self.ciphertext + Self.tag)
    }

    @Test func opensTestCase16OnlyWithItsAdditionalData() throws {
        let opened = try AESGCM.open(
            Self.ciphertext[...], tag: Self.tag[...], key: Self.key, nonce: Self.nonce[...],
            additionalData: Self.additionalData)
        #expect(opened == Self.plaintext)
        #expect(throws: SecretsError(.authenticationFailed)) {
            try AESGCM.open(
                Self.ciphertext[...], tag: Self.tag[...], key: Self.key, nonce: Self.nonce[...],
                additionalData: Array(Self.additionalData.dropLast()))
        }
    }

    @Test func writesTheNonceThenTheCiphertextAndTagOfTheContextBoundSeal() throws {
        let box = SecretBox(current: try SecretsKey(bytes: Self.key))
        let sealed = try box.seal(Fixtures.plaintext, context: Fixtures.context, nonce: Self.nonce)
        let expected = try AESGCM.seal(
            Array(Fixtures.plaintext.utf8), key: Self.key, nonce: Self.nonce,
            additionalData: Array(Fixtures.context.utf8))
        let (version, keyID, payload) = try Fixtures.split(sealed)
        #expect(version == "v1")
        #expect(keyID == Substring(box.currentKeyID))
        #expect(payload == Self.nonce + expected)
        #expect(try box.open(sealed, context: Fixtures.context) == Fixtures.plaintext)
    }

    /// The bytes of a hex string of even length.
    private static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)!
        }
    }
}
