/// Seals and opens the secrets the product stores in PostgreSQL (Evolution API keys, webhook secrets).
///
/// Each seal is AES-256-GCM under the current key with a fresh random nonce, written as ASCII text (see
/// ``seal(_:context:)``). `context` is the associated data that binds a ciphertext to its row, e.g.
/// `evolution_servers:sim-1:api_key`: a ciphertext copied to another row, or to another column, does not open.
/// During a key rotation the previous key still opens what it sealed, while every new seal uses the current one.
/// A value: every call makes its own OpenSSL context, so one box serves many threads.
public struct SecretBox: Sendable {
    /// The key every seal uses, and the first one tried when opening.
    private let current: SecretsKey
    /// The key of the last rotation, which still opens the texts it sealed.
    private let previous: SecretsKey?

    /// A box that seals with `current` and opens what `current` or `previous` sealed.
    public init(current: SecretsKey, previous: SecretsKey? = nil) {
        self.current = current
        self.previous = previous
    }

    /// The id of the key that seals; safe to show.
    public var currentKeyID: String { current.id }

    /// The sealed text of `plaintext` for `context`: `v1:` + key id + `:` + base64(nonce ‖ ciphertext ‖ tag).
    ///
    /// ASCII only, so it fits a `text` column. Sealing one text twice gives two different results (a new nonce
    /// each time); both open.
    public func seal(_ plaintext: String, context: String) throws(SecretsError) -> String {
        try seal(plaintext, context: context, nonce: RandomBytes.make(count: AESGCM.nonceLength))
    }

    /// ``seal(_:context:)`` with a given nonce, for tests that need a known output. Never reuse a nonce with a key.
    package func seal(_ plaintext: String, context: String, nonce: [UInt8]) throws(SecretsError) -> String {
        let sealed = try AESGCM.seal(
            Array(plaintext.utf8), key: current.bytes, nonce: nonce, additionalData: Array(context.utf8))
        return SealedText(keyID: current.id, payload: nonce + sealed).text
    }

    /// The plaintext of `sealed`, which must have been sealed for `context` under the current or previous key.
    ///
    /// Throws ``SecretsError/Kind/malformed`` for text that is not of the sealed form,
    /// ``SecretsError/Kind/unknownKey(keyID:)`` when it names neither key, and
    /// ``SecretsError/Kind/authenticationFailed`` when the tag does not verify: another context, or altered text
    /// (including a key id changed to that of the other key).
    public func open(_ sealed: String, context: String) throws(SecretsError) -> String {
        let text = try SealedText(parsing: sealed)
        let key = try key(withID: text.keyID)
        let plaintext = try AESGCM.open(
            text.ciphertext, tag: text.tag, key: key.bytes, nonce: text.nonce, additionalData: Array(context.utf8))
        // Only text sealed outside this type can hold bytes that are not UTF-8; repairing them would alter a secret.
        let string = String(decoding: plaintext, as: UTF8.self)
        guard string.utf8.elementsEqual(plaintext) else { throw SecretsError(.malformed) }
        return string
    }

    /// Whether `sealed` names the current key, so that `secrets rotate` can skip it.
    ///
    /// Reads the key id only, without authenticating: text that is malformed gives false.
    public func isSealedUnderCurrentKey(_ sealed: String) -> Bool {
        (try? SealedText(parsing: sealed))?.keyID == current.id
    }

    /// The configured key named `keyID`.
    private func key(withID keyID: String) throws(SecretsError) -> SecretsKey {
        if keyID == current.id { return current }
        if let previous, keyID == previous.id { return previous }
        throw SecretsError(.unknownKey(keyID: keyID))
    }
}
