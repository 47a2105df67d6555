/// A tenant's row as the WhatsApp routes read it.
struct TenantRecord: Sendable, Equatable {
    /// The tenant.
    let id: TenantID
    /// The Evolution instance stored for the tenant (`tenant_{id}`), or nil when it has none.
    let instanceName: String?
    /// The last state observed upstream, or nil without an instance.
    let status: EvolutionConnectionState?
    /// When the instance was created or adopted, ISO 8601 UTC with milliseconds.
    let instanceCreatedAt: String?
    /// When the state was last observed (a check or a pushed event), ISO 8601; nil without one.
    var checkedAt: String? = nil
    /// How long ago that was on PostgreSQL's clock, in milliseconds; nil without one.
    var checkedAgeMilliseconds: Int? = nil
    /// How long the recorded state has been `close`, on PostgreSQL's clock, in milliseconds; nil unless it is `close`
    /// (sql/migrations/0012_close_duration.sql).
    var closedAgeMilliseconds: Int? = nil
    /// The stored instance's generation: a new one each time a name is stored, so writes by a request that read
    /// this row can be made conditional on it.
    var generation: String? = nil
    /// The Evolution server the tenant is placed on: where its instance lives or is being created; nil when it is
    /// placed nowhere.
    var server: EvolutionServerID? = nil
    /// The connected account and the last disconnection, as status shows them.
    var details: StatusDetails = .none
}
