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
}
