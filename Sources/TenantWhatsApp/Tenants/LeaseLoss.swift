/// Why a worker no longer holds the tenant's lease it took, and must stop before its next write or upstream call.
enum LeaseLoss: Sendable, Equatable {
    /// A renewal found the lease gone: someone else holds the tenant's lock now, or nobody does (it ran out and was
    /// taken, then given back). Another operation owns the tenant: 409 `operation_in_progress`.
    case takenOver
    /// No renewal went through for so long that the lease may have run out (PostgreSQL unreachable, the row locked
    /// by another session): 503 `database_unavailable`.
    case unconfirmed

    /// The value logged as `lease`.
    var logValue: String {
        switch self {
        case .takenOver: "taken_over"
        case .unconfirmed: "unconfirmed"
        }
    }
}
