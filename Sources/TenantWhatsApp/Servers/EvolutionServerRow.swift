/// One registered Evolution server as `evolution_servers` holds it, with how many tenants are placed on it; its
/// secrets are still sealed (see ``EvolutionServerSecrets``).
public struct EvolutionServerRow: Sendable, Equatable {
    /// The server's name.
    public let id: EvolutionServerID
    /// Its base URL (`http://` or `https://`).
    public let baseURL: String
    /// The API key, sealed under `SECRETS_KEY`.
    let apiKeySealed: String
    /// The HS256 secret of its webhook tokens, sealed under `SECRETS_KEY`.
    let webhookSecretSealed: String
    /// The most tenants it may hold.
    public let capacity: Int
    /// Whether it gets placements, keeps its tenants, or gets no call.
    public let state: EvolutionServerState
    /// Tenants placed on it (with an instance, or one being created).
    public var placed = 0
    /// Of which `open`.
    public var open = 0
    /// Of which `connecting`.
    public var connecting = 0

    /// Whether one of its secrets is sealed under another key than `box`'s current one.
    func needsResealing(under box: EvolutionServerSecrets) -> Bool {
        !box.isSealedUnderCurrentKey(apiKeySealed) || !box.isSealedUnderCurrentKey(webhookSecretSealed)
    }
}
