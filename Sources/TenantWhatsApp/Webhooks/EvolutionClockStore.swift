import Postgres

/// Where the learned offset of each Evolution server's clock is kept between runs (`evolution_server_clocks`,
/// sql/migrations/0010_webhook_clock.sql), so that a process starting up converts the first deliveries as the others
/// do. Read once at start and written only when a process's learned offset changes: never a write per delivery.
protocol EvolutionClockStore: Sendable {
    /// Every server's stored offset.
    func learnedOffsets() throws(PostgresError) -> [EvolutionServerID: EvolutionClockOffset]
    /// Stores `offset` as `server`'s.
    func save(_ offset: EvolutionClockOffset, for server: EvolutionServerID) throws(PostgresError)
}
