import Postgres
import Runtime
import Secrets

/// What `tenant-whatsapp servers …` and `secrets rotate` do, behind the command line: every rule of the registry
/// (ids, URLs, capacities, keys, checks) in one place, each failure a ``ServerAdministrationError``.
public struct EvolutionServerAdministration: Sendable {
    let registry: EvolutionServerRegistry
    let secrets: EvolutionServerSecrets?
    /// `EVOLUTION_TIMEOUT_MS`: the deadline of the check call.
    let timeoutMilliseconds: Int

    /// Administration of the servers in `pool`'s database, sealing with `secrets` (nil: `SECRETS_KEY` is not set).
    public init(pool: PostgresPool, secrets: SecretBox?, timeoutMilliseconds: Int) {
        registry = EvolutionServerRegistry(pool: pool)
        self.secrets = secrets.map(EvolutionServerSecrets.init)
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Registers server `id` at `url` with `apiKey` and `capacity`, after an authenticated call proves both (unless
    /// `check` is false); a webhook secret of its own is made and stored sealed with the key.
    public func add(
        id text: String, url: String, capacity: Int, apiKey: String, check: Bool
    ) throws(ServerAdministrationError) {
        let id = try Self.serverID(text)
        let baseURL = try Self.baseURL(url)
        try Self.validate(capacity: capacity)
        try Self.validate(apiKey: apiKey)
        let secrets = try requireSecrets()
        if check { try self.check(baseURL: baseURL, apiKey: apiKey, server: id) }
        let sealedKey: String
        let sealedWebhookSecret: String
        do {
            sealedKey = try secrets.seal(apiKey, for: id, .apiKey)
            // The HS256 secret of the server's webhook tokens: 32 random bytes, as base64.
            sealedWebhookSecret = try secrets.seal(try SecretsKey.generate().base64, for: id, .webhookSecret)
        } catch {
            throw .unavailable("cannot seal the key: \(error.description)")
        }
        let inserted = try database {
            () throws(PostgresError) in
            try registry.insert(
                id, baseURL: baseURL, apiKeySealed: sealedKey, webhookSecretSealed: sealedWebhookSecret,
                capacity: capacity)
        }
        guard inserted else { throw .badInput("server \(id) is already registered (servers set changes it)") }
    }

    /// Changes server `id`'s URL, capacity or key (nil: kept); a new URL or key is checked first unless `check` is
    /// false.
    public func set(
        id text: String, url: String?, capacity: Int?, apiKey: String?, check: Bool
    ) throws(ServerAdministrationError) {
        let id = try Self.serverID(text)
        guard url != nil || capacity != nil || apiKey != nil else {
            throw .badInput("nothing to change: give --url, --capacity or --key-file")
        }
        let baseURL = try url.map { (url) throws(ServerAdministrationError) in try Self.baseURL(url) }
        if let capacity { try Self.validate(capacity: capacity) }
        if let apiKey { try Self.validate(apiKey: apiKey) }
        let row = try existing(id)
        var sealedKey: String?
        if baseURL != nil || apiKey != nil {
            let secrets = try requireSecrets()
            let key: String
            if let apiKey {
                key = apiKey
            } else {
                do {
                    key = try secrets.open(row.apiKeySealed, for: id, .apiKey)
                } catch {
                    throw .unavailable("SECRETS_KEY does not open server \(id)'s key: \(error.description)")
                }
            }
            if check { try self.check(baseURL: baseURL ?? row.baseURL, apiKey: key, server: id) }
            if let apiKey {
                do {
                    sealedKey = try secrets.seal(apiKey, for: id, .apiKey)
                } catch {
                    throw .unavailable("cannot seal the key: \(error.description)")
                }
            }
        }
        let updated = try database { () throws(PostgresError) in
            try registry.update(id, baseURL: baseURL, capacity: capacity, apiKeySealed: sealedKey)
        }
        guard updated else { throw .badInput("no server \(id)") }
    }

    /// Moves server `id` to `state` (`drain`, `activate`, `disable`).
    public func setState(id text: String, to state: EvolutionServerState) throws(ServerAdministrationError) {
        let id = try Self.serverID(text)
        let updated = try database { () throws(PostgresError) in try registry.setState(id, to: state) }
        guard updated else { throw .badInput("no server \(id)") }
    }

    /// Removes server `id`; refused while a tenant is placed on it.
    public func remove(id text: String) throws(ServerAdministrationError) {
        let id = try Self.serverID(text)
        switch try database({ () throws(PostgresError) in try registry.remove(id) }) {
        case .removed: return
        case .notFound: throw .badInput("no server \(id)")
        case .tenantsPlaced(let count):
            throw .badInput(
                "server \(id) still has \(count) tenant(s) placed on it: drain it and wait, or disable it and "
                    + "disconnect them first")
        }
    }

    /// Every server with its counts, and the unregistered `default` while tenants are placed on it or
    /// `EVOLUTION_API_URL` (`implicitDefaultURL`) names it.
    public func list(implicitDefaultURL: String?) throws(ServerAdministrationError) -> [EvolutionServerRow] {
        var rows = try database { () throws(PostgresError) in try registry.withTenantCounts() }
        guard let implicitDefaultURL, !rows.contains(where: { $0.id == .implicitDefault && !$0.isImplicit }) else {
            return rows
        }
        // The registry knows the unregistered `default` only by its tenants; EVOLUTION_API_URL gives its URL.
        let counted = rows.first { $0.id == .implicitDefault }
        var row = EvolutionServerRow(
            id: .implicitDefault, baseURL: implicitDefaultURL, apiKeySealed: "", webhookSecretSealed: "", capacity: 0,
            state: .active)
        row.placed = counted?.placed ?? 0
        row.open = counted?.open ?? 0
        row.connecting = counted?.connecting ?? 0
        rows.removeAll { $0.id == .implicitDefault }
        rows.append(row)
        return rows.sorted { $0.id < $1.id }
    }

    /// Reseals every stored secret that is not sealed under the current `SECRETS_KEY` (opened with it or
    /// `SECRETS_KEY_PREVIOUS`); returns how many servers were resealed. Each server's row is rewritten in one statement.
    public func rotate() throws(ServerAdministrationError) -> Int {
        let secrets = try requireSecrets()
        let rows = try database { () throws(PostgresError) in try registry.rows() }
        var resealed = 0
        for row in rows where row.needsResealing(under: secrets) {
            do {
                let key = try secrets.seal(
                    try secrets.open(row.apiKeySealed, for: row.id, .apiKey), for: row.id, .apiKey)
                let webhookSecret = try secrets.seal(
                    try secrets.open(row.webhookSecretSealed, for: row.id, .webhookSecret), for: row.id, .webhookSecret)
                _ = try database { () throws(PostgresError) in
                    try registry.update(row.id, apiKeySealed: key, webhookSecretSealed: webhookSecret)
                }
                resealed += 1
            } catch let error as ServerAdministrationError {
                throw error
            } catch let error as SecretsError {
                throw .unavailable(
                    "server \(row.id)'s secrets open with neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS: "
                        + error.description)
            } catch {
                throw .unavailable("\(error)")
            }
        }
        return resealed
    }

    // MARK: - Rules

    static func serverID(_ text: String) throws(ServerAdministrationError) -> EvolutionServerID {
        guard let id = EvolutionServerID(text) else {
            throw .badInput(
                "server id must be 1 to 32 lower-case letters, digits or '-', starting with a letter or digit")
        }
        return id
    }

    static func baseURL(_ url: String) throws(ServerAdministrationError) -> String {
        do {
            return try EvolutionConfiguration.validatedBaseURL(url, variable: "--url")
        } catch {
            throw .badInput("--url \(error.problem)")
        }
    }

    static func validate(capacity: Int) throws(ServerAdministrationError) {
        guard (1...1_000_000).contains(capacity) else {
            throw .badInput("--capacity must be a whole number from 1 to 1000000")
        }
    }

    static func validate(apiKey: String) throws(ServerAdministrationError) {
        guard !apiKey.isEmpty else { throw .badInput("the API key is empty") }
        guard apiKey.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw .badInput("the API key contains spaces or control characters")
        }
    }

    private func requireSecrets() throws(ServerAdministrationError) -> EvolutionServerSecrets {
        guard let secrets else {
            throw .unavailable(
                "SECRETS_KEY is not set: server keys are stored encrypted under it (32 random bytes in base64, e.g. "
                    + "`openssl rand -base64 32`)")
        }
        return secrets
    }

    private func existing(_ id: EvolutionServerID) throws(ServerAdministrationError) -> EvolutionServerRow {
        let rows = try database { () throws(PostgresError) in try registry.rows() }
        guard let row = rows.first(where: { $0.id == id }) else { throw .badInput("no server \(id)") }
        return row
    }

    /// One authenticated call (`GET /instance/fetchInstances`) with the key: refused or unreachable is bad input.
    private func check(baseURL: String, apiKey: String, server: EvolutionServerID) throws(ServerAdministrationError) {
        let configuration = EvolutionConfiguration(
            baseURL: baseURL, apiKey: apiKey, timeoutMilliseconds: timeoutMilliseconds)
        do {
            _ = try EvolutionClient(configuration: configuration).fetchInstances()
        } catch .unauthorized {
            throw .badInput(
                "\(baseURL) refused the API key (HTTP 401); nothing was written (--no-check skips this call)")
        } catch {
            throw .badInput(
                "\(baseURL) did not answer an authenticated call (\(error.description)); nothing was written "
                    + "(--no-check skips this call)")
        }
    }

    private func database<Result>(
        _ body: () throws(PostgresError) -> Result
    ) throws(ServerAdministrationError) -> Result {
        do {
            return try body()
        } catch {
            throw .unavailable("PostgreSQL: \(error.description)")
        }
    }
}

/// Why a `servers` or `secrets` command did nothing: bad input (exit 2) or a dependency that failed (exit 1).
public enum ServerAdministrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The command's input is wrong (an id, a URL, a capacity, a key, a server that does not answer it).
    case badInput(String)
    /// PostgreSQL, `SECRETS_KEY` or sealing failed.
    case unavailable(String)

    /// The one line the command prints (never a key).
    public var description: String {
        switch self {
        case .badInput(let message), .unavailable(let message): message
        }
    }

    /// 2 for bad input, 1 otherwise.
    public var exitCode: Int32 {
        switch self {
        case .badInput: 2
        case .unavailable: 1
        }
    }
}

extension EvolutionServerRow {
    /// Whether this is the implicit `default` (not registered: no capacity, no stored key).
    public var isImplicit: Bool { apiKeySealed.isEmpty }
}
