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

    /// What the next renewals find.
    enum RenewalAnswer: Sendable {
        /// The lease is still its holder's: extended.
        case held
        /// Someone else holds the tenant's lock now.
        case gone
        /// PostgreSQL fails.
        case failure(PostgresError)
    }

    private struct State {
        var answer = Answer.free
        var renewalAnswer = RenewalAnswer.held
        var attempts: [(tenant: TenantID, duration: Duration)] = []
        var granted: [OperationLease] = []
        var renewals: [OperationLease] = []
        var releases: [OperationLease] = []
    }

    private let state = ConditionLock(State())

    /// What every following attempt finds.
    var answer: Answer {
        get { state.withLock { $0.answer } }
        set { state.withLock { $0.answer = newValue } }
    }

    /// What every following renewal finds.
    var renewalAnswer: RenewalAnswer {
        get { state.withLock { $0.renewalAnswer } }
        set { state.withLock { $0.renewalAnswer = newValue } }
    }

    /// The leases renewals were attempted for, in order.
    var renewals: [OperationLease] {
        state.withLock { $0.renewals }
    }

    /// Waits (at most `timeout`, on the real clock) until `count` renewals have been attempted; false when they were
    /// not.
    func awaitRenewals(_ count: Int, timeout: Duration = .seconds(10)) -> Bool {
        state.wait(until: .now + timeout) { $0.renewals.count >= count ? true : nil } ?? false
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

    func renew(_ lease: OperationLease, for duration: Duration) throws(PostgresError) -> Bool {
        let outcome = state.withLockNotifying { state -> Result<Bool, PostgresError> in
            state.renewals.append(lease)
            switch state.renewalAnswer {
            case .held: return .success(true)
            case .gone: return .success(false)
            case .failure(let error): return .failure(error)
            }
        }
        return try outcome.get()
    }

    func release(_ lease: OperationLease) {
        state.withLock { $0.releases.append(lease) }
    }
}
