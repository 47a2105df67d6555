import Postgres
import Runtime

@testable import TenantWhatsApp

/// Tickets in memory, keyed by digest, as ``PostgresEventTicketStore`` keeps them: tenants must be known to be issued
/// one, and a ticket can be aged past its expiry.
final class FakeEventTicketStore: EventTicketStore, @unchecked Sendable {
    private struct State {
        var tenants: Set<String> = []
        var tickets: [String: EventTicket] = [:]
        var lookups = 0
    }

    private let state = ConditionLock(State())

    /// What `issue` answers as the expiry.
    static let expiresAt = "2025-08-27T14:06:00.000Z"

    /// Makes `tenant` a tenant of the SaaS.
    func addTenant(_ tenant: String) {
        state.withLock { _ = $0.tenants.insert(tenant) }
    }

    /// Stores a ticket directly (`isLive: false` for an expired one).
    func store(digest: String, tenant: String, isLive: Bool = true) {
        state.withLock { $0.tickets[digest] = EventTicket(tenant: tenant, isLive: isLive) }
    }

    /// The digests stored.
    var digests: Set<String> { state.withLock { Set($0.tickets.keys) } }
    /// How many lookups were made.
    var lookups: Int { state.withLock { $0.lookups } }

    func issue(digest: String, for tenant: TenantID, lifetime: Duration) throws(PostgresError) -> String? {
        state.withLock { state in
            guard state.tenants.contains(tenant.rawValue) else { return nil }
            state.tickets[digest] = EventTicket(tenant: tenant.rawValue, isLive: true)
            return Self.expiresAt
        }
    }

    func find(digest: String) throws(PostgresError) -> EventTicket? {
        state.withLock { state in
            state.lookups += 1
            return state.tickets[digest]
        }
    }
}

/// The tenants published, in order, with the QR codes given.
final class RecordingStatePublisher: TenantStatePublisher, @unchecked Sendable {
    private let published = ConditionLock<[(TenantID, String?)]>([])

    var tenants: [TenantID] { published.withLock { $0.map(\.0) } }
    var qrCodes: [String?] { published.withLock { $0.map(\.1) } }

    func publish(_ tenant: TenantID, qrCode: String?) {
        published.withLock { $0.append((tenant, qrCode)) }
    }
}
