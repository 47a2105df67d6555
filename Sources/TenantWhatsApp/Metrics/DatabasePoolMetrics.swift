import CoreMetrics
import Postgres

/// The metrics of the PostgreSQL pool: its connections (sampled at each scrape) and the borrowers' waits (recorded
/// by the pool's `onBorrowWait` as they happen).
///
/// - `tenant_whatsapp_db_pool_connections_in_use` and `tenant_whatsapp_db_pool_connections_open`: gauges, from
///   ``PostgresPool/statistics``.
/// - `tenant_whatsapp_db_pool_wait_seconds`: a histogram of how long each borrow waited for a connection (nearly
///   always 0; a tail near `DATABASE_POOL_TIMEOUT_MS` means the pool is too small for the load).
/// - `tenant_whatsapp_db_pool_timeouts_total`: a counter of borrows that gave up (each a 503 `database_unavailable`).
struct DatabasePoolMetrics: Sendable {
    /// The gauge of connections lent out.
    static let inUseName = Application.metricsPrefix + "db_pool_connections_in_use"
    /// The gauge of connections open (idle, lent, opening or closing).
    static let openName = Application.metricsPrefix + "db_pool_connections_open"
    /// The histogram of borrow waits.
    static let waitName = Application.metricsPrefix + "db_pool_wait_seconds"
    /// The counter of borrows that timed out.
    static let timeoutsName = Application.metricsPrefix + "db_pool_timeouts_total"

    // Made once: the pool reports every borrow, and making a metric asks the factory (a lock and a lookup).
    private let wait = Timer(label: waitName)
    private let timeouts = Counter(label: timeoutsName)

    /// The metrics, registered with the bootstrapped factory (no-ops without one).
    init() {}

    /// Records one borrow's wait; the pool's `onBorrowWait`.
    func recordBorrow(waited: Duration, timedOut: Bool) {
        wait.record(waited)
        if timedOut { timeouts.increment() }
    }

    /// Sets the connection gauges from the pool's counters.
    func sample(_ statistics: PostgresPool.Statistics) {
        Gauge(label: Self.inUseName).record(statistics.borrowed)
        Gauge(label: Self.openName).record(statistics.open)
    }
}
