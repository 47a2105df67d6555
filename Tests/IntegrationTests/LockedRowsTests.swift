import Foundation
import Testing

/// A few tenant rows locked by another session never take the node down (issue #21, item 1): taking a tenant's lease
/// and every write to its row wait at most the sessions' `lock_timeout` (50 ms) for a row lock someone else holds, so
/// the pool's connections stay free for every other tenant and for `/api/ready`.
@Suite("Locked tenant rows", .serialized)
final class LockedRowsTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let locked = (1...3).map { _ in TestWhatsAppStack.newTenantID("locked") }
    private let other = TestWhatsAppStack.newTenantID("free")

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        // Enough workers that the pool of 8 PostgreSQL connections, not the threads, is what locked rows could drain.
        stack = try TestWhatsAppStack.start(sim: sim, label: "locked", threads: 16)
        for tenant in locked + [other] { try stack.insertTenant(tenant) }
    }

    deinit {
        stack.stop()
    }

    @Test func threeLockedRowsAndFourConnectsOnEachLeaveOtherTenantsAndReadinessAnswering() throws {
        let stack = self.stack
        let locked = self.locked
        let other = self.other
        let holder = try RowLockHolder(locked, in: stack)
        defer { holder.release() }

        // Twelve connects of the locked tenants and, at the same moment, eight calls that need PostgreSQL too.
        let answers = try Concurrently.run(20) { index -> (String, Int, Duration) in
            let started = ContinuousClock.now
            let response: TestHTTPResponse
            switch index {
            case 0..<12: response = try stack.connect(tenant: locked[index % 3])
            case 12..<16: response = try stack.status(tenant: other)
            default: response = try stack.nginx.send("GET", "/api/ready")
            }
            return (index < 12 ? "connect" : index < 16 ? "status" : "ready", response.status, .now - started)
        }.map { try $0.get() }

        for (route, status, elapsed) in answers {
            if route == "connect" {
                // Busy, as a lease someone holds: said at once, not after the statement timeout (5 s).
                #expect(status == 409, "connect of a locked tenant answered \(status)")
            } else {
                #expect(status == 200, "\(route) answered \(status) while rows were locked")
            }
            #expect(elapsed < .seconds(2), "\(route) took \(elapsed)")
        }
        #expect(try sim.calls(route: "create").isEmpty)
    }
}
