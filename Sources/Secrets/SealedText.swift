/// The text form of a sealed secret: `v1:` + key id + `:` + base64(nonce ‖ ciphertext ‖ tag).
///
/// ASCII only, so that it fits a PostgreSQL `text` column and a log-safe comparison. The key id says which key
/// opens it; the version leaves room for another scheme later.
struct SealedText {
    /// The scheme this form describes: AES-256-GCM, 12-byte nonce, 16-byte tag, the context as associated data.
    static let version = "v1"

    /// The id of the key that sealed it (``SecretsKey/id``).
    let keyID: String
    /// The nonce, the ciphertext and the tag, in that order.
    let payload: [UInt8]

    /// A sealed text of `payload` under the key named `keyID`.
    init(keyID: String, payload: [UInt8]) {
        self.keyID = keyID
        self.payload = payload
    }

    /// Reads `text`; anything not of the v1 form as ``text`` writes it (padded base64 included), or with a payload
    /// too short for a nonce and a tag, throws ``SecretsError/Kind/malformed``.
    init(parsing text: String) throws(SecretsError) {
        let parts = Array(text.utf8).split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].elementsEqual(Self.version.utf8), Self.isKeyID(parts[1]),
            let payload = Base64.decode(parts[2], paddingRequired: true),
            payload.count >= AESGCM.nonceLength + AESGCM.tagLength
        else { throw SecretsError(.malformed) }
        self.keyID = String(decoding: parts[1], as: UTF8.self)
        self.payload = payload
    }

    /// The text to store.
    var text: String {
        "\(Self.version):\(keyID):\(Base64.encode(payload))"
    }

    /// The first ``AESGCM/nonceLength`` bytes of the payload.
    var nonce: ArraySlice<UInt8> { payload.prefix(AESGCM.nonceLength) }
    /// The bytes between the nonce and the tag.
    var ciphertext: ArraySlice<UInt8> { payload.dropFirst(AESGCM.nonceLength).dropLast(AESGCM.tagLength) }
    /// The last ``AESGCM/tagLength`` bytes of the payload.
    var tag: ArraySlice<UInt8> { payload.suffix(AESGCM.tagLength) }

    /// Whether `text` has the form of a key id: 16 lowercase hex digits.
    private static func isKeyID(_ text: ArraySlice<UInt8>) -> Bool {
        text.count == 16 && text.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
