import Resilience
import Testing

/// The process-wide bulkhead: up to its limit inside, refused at once beyond, room again after a leave.
@Suite("Bulkhead")
struct BulkheadTests {
    @Test func callersAreAdmittedUpToTheLimitAndRefusedBeyondIt() {
        let bulkhead = Bulkhead(limit: 3)
        #expect((1...3).allSatisfy { _ in bulkhead.tryEnter() })
        #expect(!bulkhead.tryEnter())
        #expect(bulkhead.occupancy == 3)
        bulkhead.leave()
        #expect(bulkhead.tryEnter())
        #expect(!bulkhead.tryEnter())
    }
}
