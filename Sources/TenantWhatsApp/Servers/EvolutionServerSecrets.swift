import Secrets

/// The secrets of `evolution_servers` rows, sealed under `SECRETS_KEY` (AES-256-GCM) and bound to their row and
/// column: a ciphertext copied to another server's row, or from the key column to the webhook column, does not open.
public struct EvolutionServerSecrets: Sendable {
    /// Which secret of a row.
    public enum Column: String, Sendable {
        case apiKey = "api_key"
        case webhookSecret = "webhook_secret"
    }

    let box: SecretBox

    /// Secrets sealed under `box`'s current key, opened with its current or previous one.
    public init(box: SecretBox) {
        self.box = box
    }

    /// `plaintext` sealed for `column` of server `id`'s row.
    public func seal(_ plaintext: String, for id: EvolutionServerID, _ column: Column) throws(SecretsError) -> String {
        try box.seal(plaintext, context: Self.context(id, column))
    }

    /// The secret of `column` of server `id`'s row.
    public func open(_ sealed: String, for id: EvolutionServerID, _ column: Column) throws(SecretsError) -> String {
        try box.open(sealed, context: Self.context(id, column))
    }

    /// Whether `sealed` was sealed under the current key (`secrets rotate` reseals the others).
    public func isSealedUnderCurrentKey(_ sealed: String) -> Bool {
        box.isSealedUnderCurrentKey(sealed)
    }

    /// The associated data: the table, the row and the column.
    static func context(_ id: EvolutionServerID, _ column: Column) -> String {
        "evolution_servers:\(id.rawValue):\(column.rawValue)"
    }
}
