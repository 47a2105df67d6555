/// How long a connect's or disconnect's lease on its tenant lasts, and how its holder keeps it.
///
/// Short, and renewed while the operation runs: a responder killed mid-connect (`kill -9`, the OOM killer) locks its
/// tenant out only until its last renewal runs out, at most ``duration``.
struct LeaseSettings: Sendable, Equatable {
    /// How long the lease lasts from its last renewal (on PostgreSQL's clock): a crashed holder's tenant is free
    /// again this soon.
    var duration: Duration = .seconds(10)
    /// How often the holder renews it while its operation runs: three renewals fit in one lease, so two may fail.
    var renewalInterval: Duration = .seconds(3)
    /// How soon a renewal that failed (PostgreSQL unreachable, the row locked by another session) is tried again.
    var retryInterval: Duration = .seconds(1)
    /// How long before the lease could run out the holder stops anyway (no more writes, no more upstream calls):
    /// time for the step it starts to land while the lease is surely still its own.
    var safetyMargin: Duration = .seconds(2)
}
