import Postgres

/// One connect or disconnect at a time per tenant, across every process and host.
protocol OperationLock: Sendable {
    /// Takes the tenant's lock for at most `duration`: a holder that dies simply lets it run out.
    func acquire(_ tenant: TenantID, for duration: Duration) throws(PostgresError) -> OperationLockAttempt

    /// Extends `lease` to `duration` from now while it is still its holder's: true when it was, false when someone
    /// else holds the tenant's lock now or nobody does (released, or taken over after it ran out). Never waits for a
    /// row lock someone else holds: that is a failure (`55P03`), for the caller to try again soon.
    func renew(_ lease: OperationLease, for duration: Duration) throws(PostgresError) -> Bool

    /// Gives `lease` back early (it is gone anyway once its time ran out).
    func release(_ lease: OperationLease)
}

/// What an attempt to take a tenant's lock found.
enum OperationLockAttempt: Sendable, Equatable {
    /// The lock is ours until it is released or runs out.
    case acquired(OperationLease)
    /// Another request holds it.
    case held
    /// The SaaS has no such tenant.
    case noSuchTenant
}

/// A tenant's lock as one request holds it.
struct OperationLease: Sendable, Equatable {
    /// The tenant locked.
    let tenant: TenantID
    /// Who holds it: unique per acquisition, so only its holder can release it.
    let owner: String
}
