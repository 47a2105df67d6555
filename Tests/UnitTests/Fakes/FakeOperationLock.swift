import Postgres
import Runtime

@testable import TenantWhatsApp

/// The tenant's operation lock, answering what the test sets, and recording every attempt, grant and release.
final class FakeOperationLock: OperationLock {
    /// What the next attempts find.
    enum Answer: Sendable {
        /// The lock is free: it is granted.
        case free
        /// Another request holds it.
        case held
        /// The SaaS has no such tenant.
        case noSuchTenant
        /// PostgreSQL fails.
        case failure(PostgresError)
    }

    private struct State {
        var answer = Answer.free
        var attempts: [(tenant: TenantID, duration: Duration)] = []
        var granted: [OperationLease] = []
        var releases: [OperationLease] = []
    }

    private let state = ConditionLock(State())

    /// What every following attempt finds.
    var answer: Answer {
        get { state.withLock { $0.answer } }
        set { state.withLock { $0.answer = newValue } }
    }

    /// The tenants an acquisition was attempted for, in order.
    var attempts: [TenantID] {
        state.withLock { $0.attempts.map(\.tenant) }
    }

    /// How long each attempt asked for the lock, in order.
    var requestedDurations: [Duration] {
        state.withLock { $0.attempts.map(\.duration) }
    }

    /// The leases handed out, in order.
    var granted: [OperationLease] {
        state.withLock { $0.granted }
    }

    /// The leases given back, in order.
    var releases: [OperationLease] {
        state.withLock { $0.releases }
    }

    func acquire(_ tenant: TenantID, for duration: Duration) throws(PostgresError) -> OperationLockAttempt {
        let attempt = state.withLock { state -> Result<OperationLockAttempt, PostgresError> in
            state.attempts.append((tenant, duration))
            switch state.answer {
            case .free:
                let lease = OperationLease(tenant: tenant, owner: "lease-\(state.granted.count + 1)")
                state.granted.append(lease)
                return .success(.acquired(lease))
            case .held: return .success(.held)
            case .noSuchTenant: return .success(.noSuchTenant)
            case .failure(let error): return .failure(error)
            }
        }
        return try attempt.get()
    }

    func release(_ lease: OperationLease) {
        state.withLock { $0.releases.append(lease) }
    }
}
