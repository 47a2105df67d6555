import Resilience
import Testing

/// The per-key cap: refusals beyond it, releases, independence of keys, and no memory for idle keys.
@Suite("Keyed limiter")
struct KeyedLimiterTests {
    private struct Failed: Error {}

    @Test func refusesTheAcquireBeyondTheLimit() {
        let limiter = KeyedLimiter<String>(limit: 2)
        #expect(limiter.tryAcquire("tenant-1"))
        #expect(limiter.tryAcquire("tenant-1"))
        #expect(!limiter.tryAcquire("tenant-1"))
        #expect(limiter.holders(of: "tenant-1") == 2)
    }

    @Test func releaseLetsExactlyOneMoreIn() {
        let limiter = KeyedLimiter<String>(limit: 2)
        #expect(limiter.tryAcquire("tenant-1"))
        #expect(limiter.tryAcquire("tenant-1"))
        limiter.release("tenant-1")
        #expect(limiter.tryAcquire("tenant-1"))
        #expect(!limiter.tryAcquire("tenant-1"))
    }

    @Test func keysAreIndependent() {
        let limiter = KeyedLimiter<String>(limit: 1)
        #expect(limiter.tryAcquire("tenant-1"))
        #expect(limiter.tryAcquire("tenant-2"))
        #expect(!limiter.tryAcquire("tenant-1"))
        #expect(limiter.holders(of: "tenant-2") == 1)
        #expect(limiter.heldKeyCount == 2)
    }

    @Test func forgetsAKeyWhoseLastHolderReleases() {
        let limiter = KeyedLimiter<String>(limit: 3)
        #expect(limiter.tryAcquire("tenant-1"))
        #expect(limiter.tryAcquire("tenant-1"))
        limiter.release("tenant-1")
        #expect(limiter.heldKeyCount == 1)
        limiter.release("tenant-1")
        #expect(limiter.holders(of: "tenant-1") == 0)
        #expect(limiter.heldKeyCount == 0)
    }

    @Test func withPermitRunsTheBodyAndReleases() {
        let limiter = KeyedLimiter<String>(limit: 1)
        let answer = limiter.withPermit("tenant-1") { limiter.holders(of: "tenant-1") }
        #expect(answer == 1)
        #expect(limiter.heldKeyCount == 0)
    }

    @Test func withPermitReturnsNilWithoutRunningTheBodyWhenRefused() {
        let limiter = KeyedLimiter<String>(limit: 1)
        #expect(limiter.tryAcquire("tenant-1"))
        var ran = false
        let answer: Int? = limiter.withPermit("tenant-1") {
            ran = true
            return 1
        }
        #expect(answer == nil)
        #expect(!ran)
    }

    @Test func withPermitReleasesWhenTheBodyThrows() {
        let limiter = KeyedLimiter<String>(limit: 1)
        #expect(throws: Failed.self) {
            try limiter.withPermit("tenant-1") { () throws(Failed) in throw Failed() }
        }
        #expect(limiter.heldKeyCount == 0)
        #expect(limiter.tryAcquire("tenant-1"))
    }
}
