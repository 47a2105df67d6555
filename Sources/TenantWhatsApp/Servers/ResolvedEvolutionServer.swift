/// A known Evolution server with its secrets opened: a registered row, or the implicit `default` of
/// `EVOLUTION_API_URL` (when no row of that name exists).
///
/// Holds secrets: never logged; `description` redacts them.
struct ResolvedEvolutionServer: Sendable, CustomStringConvertible {
    let id: EvolutionServerID
    let state: EvolutionServerState
    /// The base URL, the API key and the per-call deadline.
    let configuration: EvolutionConfiguration
    /// The HS256 secret of its webhook tokens; nil for the implicit `default` (it has `EVOLUTION_WEBHOOK_SECRET`).
    let webhookSecret: String?

    var description: String { "ResolvedEvolutionServer(\(id), \(state.rawValue), \(configuration))" }

    /// Every known server, by id: the rows of `registry` opened with `secrets`, and `implicitDefault` as `default`
    /// unless a row of that name exists. Throws when a row's secret cannot be opened (or there is no key to open it).
    static func all(
        registry: EvolutionServerRegistry, secrets: EvolutionServerSecrets?, implicitDefault: EvolutionConfiguration?,
        timeoutMilliseconds: Int
    ) throws(EvolutionServerDirectoryError) -> [ResolvedEvolutionServer] {
        let rows: [EvolutionServerRow]
        do {
            rows = try registry.rows()
        } catch {
            throw .database(error)
        }
        var servers: [ResolvedEvolutionServer] = []
        if let implicitDefault, !rows.contains(where: { $0.id == .implicitDefault }) {
            var configuration = implicitDefault
            configuration.timeoutMilliseconds = timeoutMilliseconds
            servers.append(
                ResolvedEvolutionServer(
                    id: .implicitDefault, state: .active, configuration: configuration, webhookSecret: nil))
        }
        for row in rows {
            guard let secrets else { throw .secretsKeyMissing(server: row.id.rawValue) }
            do {
                let apiKey = try secrets.open(row.apiKeySealed, for: row.id, .apiKey)
                let webhookSecret = try secrets.open(row.webhookSecretSealed, for: row.id, .webhookSecret)
                servers.append(
                    ResolvedEvolutionServer(
                        id: row.id, state: row.state,
                        configuration: EvolutionConfiguration(
                            baseURL: row.baseURL, apiKey: apiKey, timeoutMilliseconds: timeoutMilliseconds),
                        webhookSecret: webhookSecret))
            } catch {
                throw .secretUnreadable(server: row.id.rawValue, error)
            }
        }
        return servers.sorted { $0.id < $1.id }
    }
}
