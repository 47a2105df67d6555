import Testing

@testable import TenantWhatsApp

/// What a lease's holder knows of it (issue 21, item 5): surely its own until its last renewal's send time plus the
/// lease's duration, less the safety margin; gone for good once a renewal found it taken over.
@Suite("Lease term")
struct LeaseTermTests {
    private let settings = LeaseSettings()
    private let taken = ContinuousClock.now

    @Test func theDefaultLeaseIsShortAndFitsThreeRenewals() {
        #expect(settings.duration <= .seconds(10))
        #expect(settings.renewalInterval * 3 <= settings.duration)
        // A renewal that fails is tried again, and that one still lands before the holder would stop.
        #expect(settings.renewalInterval + settings.retryInterval < settings.duration - settings.safetyMargin)
    }

    @Test func aLeaseNeverRenewedIsHeldUntilTheSafetyMarginBeforeItRunsOut() {
        let term = LeaseTerm(acquiredAt: taken, settings: settings)
        #expect(term.loss(at: taken) == nil)
        #expect(term.loss(at: taken + .milliseconds(7_999)) == nil)
        #expect(term.loss(at: taken + .seconds(8)) == .unconfirmed)
    }

    @Test func aRenewalCountsFromWhenItWasSentNotFromItsAnswer() {
        var term = LeaseTerm(acquiredAt: taken, settings: settings)
        term.renewed(sentAt: taken + .seconds(3))
        #expect(term.securedUntil == taken + .seconds(13))
        #expect(term.loss(at: taken + .milliseconds(10_999)) == nil)
        #expect(term.loss(at: taken + .seconds(11)) == .unconfirmed)
    }

    @Test func aRenewalSentEarlierNeverShortensTheTerm() {
        var term = LeaseTerm(acquiredAt: taken, settings: settings)
        term.renewed(sentAt: taken + .seconds(6))
        term.renewed(sentAt: taken + .seconds(3))
        #expect(term.securedUntil == taken + .seconds(16))
    }

    @Test func aFailedRenewalIsTriedAgainSoonerAndTheLeaseStaysHeldUntilItsTermRunsOut() {
        var term = LeaseTerm(acquiredAt: taken, settings: settings)
        #expect(term.pauseBeforeNextRenewal == settings.renewalInterval)
        term.renewalFailed()
        #expect(term.pauseBeforeNextRenewal == settings.retryInterval)
        #expect(term.loss(at: taken + .seconds(7)) == nil)
        #expect(term.loss(at: taken + .seconds(8)) == .unconfirmed)
        // A renewal that goes through afterwards (the row was still its holder's) gives the lease back its term.
        term.renewed(sentAt: taken + .seconds(8))
        #expect(term.loss(at: taken + .seconds(8)) == nil)
        #expect(term.pauseBeforeNextRenewal == settings.renewalInterval)
    }

    @Test func aLeaseFoundGoneIsLostForGood() {
        var term = LeaseTerm(acquiredAt: taken, settings: settings)
        term.foundGone()
        #expect(term.loss(at: taken) == .takenOver)
        term.renewed(sentAt: taken + .seconds(1))
        #expect(term.loss(at: taken + .seconds(1)) == .takenOver)
    }
}
