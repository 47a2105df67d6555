import Postgres

/// ``EvolutionClockStore`` in PostgreSQL: the table `evolution_server_clocks`, one row per server.
struct PostgresEvolutionClockStore: EvolutionClockStore {
    let pool: PostgresPool

    func learnedOffsets() throws(PostgresError) -> [EvolutionServerID: EvolutionClockOffset] {
        let rows = try pool.query(
            "SELECT server_id, offset_minutes FROM evolution_server_clocks", retryOnConnectionLoss: true)
        var offsets: [EvolutionServerID: EvolutionClockOffset] = [:]
        for row in rows {
            guard let server = row["server_id"].flatMap(EvolutionServerID.init),
                let offset = row["offset_minutes"].flatMap({ Int($0) }).flatMap(EvolutionClockOffset.init(minutes:))
            else { continue }
            offsets[server] = offset
        }
        return offsets
    }

    func save(_ offset: EvolutionClockOffset, for server: EvolutionServerID) throws(PostgresError) {
        try pool.query(
            """
            INSERT INTO evolution_server_clocks (server_id, offset_minutes) VALUES ($1::text, $2::integer)
            ON CONFLICT (server_id) DO UPDATE SET offset_minutes = EXCLUDED.offset_minutes, learned_at = now()
                WHERE evolution_server_clocks.offset_minutes IS DISTINCT FROM EXCLUDED.offset_minutes
            """, [server.rawValue, String(offset.minutes)])
    }
}
