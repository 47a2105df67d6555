import Postgres

/// The `evolution_servers` table: what `tenant-whatsapp servers …` writes, and what every responder and `reconcile`
/// read. Each call is one statement on a pooled connection.
public struct EvolutionServerRegistry: Sendable {
    let pool: PostgresPool

    /// A registry on `pool`.
    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Every registered server, by id, with the tenants placed on each (what `servers list` shows), and a row for
    /// `default` when tenants are placed on it but it is not registered (its URL and secrets then empty).
    public func withTenantCounts() throws(PostgresError) -> [EvolutionServerRow] {
        let rows = try pool.query(
            """
            WITH counts AS (
                SELECT evolution_server_id AS id, count(*) AS placed,
                    count(*) FILTER (WHERE whatsapp_status = 'open') AS open,
                    count(*) FILTER (WHERE whatsapp_status = 'connecting') AS connecting
                FROM tenants WHERE evolution_server_id IS NOT NULL GROUP BY evolution_server_id
            )
            SELECT s.id, s.base_url, s.api_key_sealed, s.webhook_secret_sealed, s.capacity, s.state,
                coalesce(c.placed, 0) AS placed, coalesce(c.open, 0) AS open, coalesce(c.connecting, 0) AS connecting
            FROM evolution_servers s LEFT JOIN counts c ON c.id = s.id
            UNION ALL
            SELECT c.id, '', '', '', 0, 'active', c.placed, c.open, c.connecting
            FROM counts c
            WHERE c.id = 'default' AND NOT EXISTS (SELECT 1 FROM evolution_servers WHERE id = 'default')
            ORDER BY 1
            """, retryOnConnectionLoss: true)
        return rows.compactMap { row in
            guard var server = Self.server(from: row) else { return nil }
            server.placed = row["placed"].flatMap { Int($0) } ?? 0
            server.open = row["open"].flatMap { Int($0) } ?? 0
            server.connecting = row["connecting"].flatMap { Int($0) } ?? 0
            return server
        }
    }

    /// Every registered server, by id, without counting tenants: what the responders read every second.
    public func rows() throws(PostgresError) -> [EvolutionServerRow] {
        let rows = try pool.query(
            """
            SELECT id, base_url, api_key_sealed, webhook_secret_sealed, capacity, state FROM evolution_servers ORDER BY id
            """, retryOnConnectionLoss: true)
        return rows.compactMap(Self.server(from:))
    }

    /// The server a row of `evolution_servers` describes; nil for a row this version cannot read.
    private static func server(from row: PostgresRow) -> EvolutionServerRow? {
        guard let id = row["id"].flatMap(EvolutionServerID.init), let capacity = row["capacity"].flatMap({ Int($0) }),
            let state = row["state"].flatMap(EvolutionServerState.init(rawValue:))
        else { return nil }
        return EvolutionServerRow(
            id: id, baseURL: row["base_url"] ?? "", apiKeySealed: row["api_key_sealed"] ?? "",
            webhookSecretSealed: row["webhook_secret_sealed"] ?? "", capacity: capacity, state: state)
    }

    /// Registers a server in state `active`; false when the id is taken.
    public func insert(
        _ id: EvolutionServerID, baseURL: String, apiKeySealed: String, webhookSecretSealed: String, capacity: Int
    ) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            """
            INSERT INTO evolution_servers (id, base_url, api_key_sealed, webhook_secret_sealed, capacity)
            VALUES ($1, $2, $3, $4, $5::integer)
            ON CONFLICT (id) DO NOTHING
            """, [id.rawValue, baseURL, apiKeySealed, webhookSecretSealed, String(capacity)])
        return rows.affectedRowCount == 1
    }

    /// Changes what is given (nil: kept); false when there is no such server.
    public func update(
        _ id: EvolutionServerID, baseURL: String? = nil, capacity: Int? = nil, apiKeySealed: String? = nil,
        webhookSecretSealed: String? = nil
    ) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            """
            UPDATE evolution_servers SET base_url = coalesce($2, base_url), capacity = coalesce($3::integer, capacity),
                api_key_sealed = coalesce($4, api_key_sealed),
                webhook_secret_sealed = coalesce($5, webhook_secret_sealed), updated_at = now()
            WHERE id = $1
            """, [id.rawValue, baseURL, capacity.map { String($0) }, apiKeySealed, webhookSecretSealed])
        return rows.affectedRowCount == 1
    }

    /// Moves the server to `state`; false when there is no such server.
    public func setState(_ id: EvolutionServerID, to state: EvolutionServerState) throws(PostgresError) -> Bool {
        let rows = try pool.query(
            "UPDATE evolution_servers SET state = $2, updated_at = now() WHERE id = $1", [id.rawValue, state.rawValue])
        return rows.affectedRowCount == 1
    }

    /// What ``remove(_:)`` did.
    public enum Removal: Sendable, Equatable {
        case removed
        case notFound
        /// Refused: this many tenants are placed on it.
        case tenantsPlaced(Int)
    }

    /// Removes the server unless a tenant is placed on it (one statement: a placement cannot slip in between).
    public func remove(_ id: EvolutionServerID) throws(PostgresError) -> Removal {
        let rows = try pool.query(
            """
            WITH target AS (
                SELECT s.id, (SELECT count(*) FROM tenants t WHERE t.evolution_server_id = s.id) AS placed
                FROM evolution_servers s WHERE s.id = $1 FOR UPDATE
            ), deleted AS (
                DELETE FROM evolution_servers s USING target WHERE s.id = target.id AND target.placed = 0 RETURNING s.id
            )
            SELECT target.placed, (SELECT count(*) FROM deleted) AS deleted FROM target
            """, [id.rawValue])
        guard let row = rows.first else { return .notFound }
        if row["deleted"] == "1" { return .removed }
        return .tenantsPlaced(row["placed"].flatMap { Int($0) } ?? 0)
    }
}
