import Runtime
import Testing

@testable import TenantWhatsApp

/// Learning a server's offset (docs/webhooks.md, "Learning each server's offset"): the first observation is taken, a
/// fresh higher one at once, a lower one after three fresh ones agree, and a late or replayed delivery never moves it.
@Suite("Evolution server clock")
struct EvolutionServerClockTests {
    private static func offset(_ minutes: Int) -> EvolutionClockOffset { EvolutionClockOffset(minutes: minutes)! }

    /// `clock.observe(observed, fresh:)`, outside `#expect` (which cannot mutate).
    private func observe(_ clock: inout EvolutionServerClock, _ observed: EvolutionClockOffset, fresh: Bool) -> Bool {
        clock.observe(observed, fresh: fresh)
    }

    @Test func theFirstObservationIsTakenWhateverItIs() {
        var clock = EvolutionServerClock()
        #expect(clock.offset == nil)
        #expect(observe(&clock, Self.offset(-180), fresh: false) == true)
        #expect(clock.offset == Self.offset(-180))
    }

    @Test func aLateOrReplayedDeliveryNeverMovesTheOffset() {
        var clock = EvolutionServerClock(offset: Self.offset(-180))
        #expect(observe(&clock, Self.offset(-240), fresh: false) == false)
        #expect(observe(&clock, Self.offset(-120), fresh: false) == false)
        for _ in 0..<10 { #expect(observe(&clock, Self.offset(-195), fresh: false) == false) }
        #expect(clock.offset == Self.offset(-180))
        #expect(clock.pendingFall == nil)
    }

    @Test func aClockThatMovesForwardIsFollowedAtOnce() {
        var clock = EvolutionServerClock(offset: Self.offset(60))
        #expect(observe(&clock, Self.offset(120), fresh: true) == true)
        #expect(clock.offset == Self.offset(120))
    }

    @Test func aClockThatMovesBackIsFollowedOnceThreeFreshDeliveriesAgree() {
        var clock = EvolutionServerClock(offset: Self.offset(120))
        #expect(observe(&clock, Self.offset(60), fresh: true) == false)
        #expect(observe(&clock, Self.offset(60), fresh: false) == false)
        #expect(observe(&clock, Self.offset(60), fresh: true) == false)
        #expect(clock.offset == Self.offset(120))
        #expect(observe(&clock, Self.offset(60), fresh: true) == true)
        #expect(clock.offset == Self.offset(60))
        // A delivery from before the change, retried or replayed, does not take it back.
        #expect(observe(&clock, Self.offset(120), fresh: false) == false)
        #expect(clock.offset == Self.offset(60))
    }

    @Test func aFreshDeliveryAtTheOffsetOrAnotherLowerOneStartsTheCountAgain() {
        var clock = EvolutionServerClock(offset: Self.offset(0))
        clock.observe(Self.offset(-15), fresh: true)
        clock.observe(Self.offset(-15), fresh: true)
        clock.observe(Self.offset(0), fresh: true)
        clock.observe(Self.offset(-15), fresh: true)
        clock.observe(Self.offset(-30), fresh: true)
        clock.observe(Self.offset(-15), fresh: true)
        #expect(clock.offset == Self.offset(0))
        #expect(clock.pendingFall?.count == 1)
    }

    @Test func aRetryOrAReplayIsNotFreshButItsObservationIsItsFirstSendings() throws {
        var clock = EvolutionServerClock(offset: Self.offset(-180))
        let signed = Timestamp(millisecondsSinceEpoch: 1_796_000_000_000)
        let reading = EvolutionDateTime(
            reading: Timestamp(millisecondsSinceEpoch: signed.millisecondsSinceEpoch - 10_800_000))
        func later(_ seconds: Int64) -> Timestamp {
            Timestamp(millisecondsSinceEpoch: signed.millisecondsSinceEpoch + seconds * 1000)
        }
        // A newer delivery was seen; then this one arrives again, late: it moves nothing, whatever its lateness.
        clock.observe(
            reading: EvolutionDateTime(reading: later(-10_790)), issuedAt: later(10), receivedAt: later(10))
        let fall = EvolutionDateTime(
            reading: Timestamp(millisecondsSinceEpoch: signed.millisecondsSinceEpoch - 14_400_000))
        for delay: Int64 in [5, 10, 20, 40, 400] {
            clock.observe(reading: fall, issuedAt: signed, receivedAt: later(delay))
        }
        #expect(clock.offset == Self.offset(-180))
        #expect(clock.pendingFall == nil)
        // Without iat, the moment it arrives stands in: a delivery 10 minutes late still rounds to its zone.
        var unsigned = EvolutionServerClock()
        unsigned.observe(reading: reading, issuedAt: nil, receivedAt: later(420))
        #expect(unsigned.offset == Self.offset(-180))
    }

    /// Deliveries of a server whose clock changes once (a daylight saving time start or end) at a random moment:
    /// events stamped as Evolution stamps them (`date_time` on the local clock, then `iat` signed a moment later), each
    /// delivered on time, or an earlier one delivered again (a retry, a replay with its token). Whatever the mix, the
    /// learned offset is the old one until a fresh post-change delivery arrives, the new one once the change showed in
    /// one on-time delivery (a start) or three (an end), and it never comes back nor takes any other value.
    @Test(arguments: 0..<200)
    func randomDeliveriesOfAClockThatChangesOnceAreLearnedWithoutAStepBack(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed))
        let before = Int.random(in: -44...52, using: &random) * 15
        let after = before + (Bool.random(using: &random) ? 60 : -60)
        let start: Int64 = 1_796_000_000_000
        let change = start + Int64.random(in: 60_000...3_600_000, using: &random)
        var clock = EvolutionServerClock()
        var sent: [(reading: EvolutionDateTime, issuedAt: Timestamp, happened: Int64)] = []
        var onTimeAfterChange = 0
        var followed = false
        var now = start
        for step in 0..<300 {
            now += Int64.random(in: 100...30_000, using: &random)
            // Nothing is stamped in the five seconds before the change: a retry from then could still be fresh.
            if now < change, now > change - 5_000 { now = change }
            let local = now + Int64(now < change ? before : after) * 60_000
            let signing = (now + Int64.random(in: 0...300, using: &random)) / 1000 * 1000
            let event = (
                reading: EvolutionDateTime(reading: Timestamp(millisecondsSinceEpoch: local)),
                issuedAt: Timestamp(millisecondsSinceEpoch: signing), happened: now
            )
            sent.append(event)
            let onTime = Int.random(in: 0..<3, using: &random) > 0
            let delivered = onTime ? event : try #require(sent.randomElement(using: &random))
            let receivedAt = Timestamp(millisecondsSinceEpoch: now + Int64.random(in: 5...900, using: &random))
            clock.observe(reading: delivered.reading, issuedAt: delivered.issuedAt, receivedAt: receivedAt)
            if onTime, now >= change { onTimeAfterChange += 1 }
            let learned = try #require(clock.offset?.minutes)
            try #require([before, after].contains(learned), "seed \(seed) step \(step)")
            if followed { try #require(learned == after, "seed \(seed) step \(step): stepped back") }
            if now < change { try #require(learned == before, "seed \(seed) step \(step): moved early") }
            let needed = after > before ? 1 : EvolutionServerClock.confirmations
            if onTimeAfterChange >= needed { try #require(learned == after, "seed \(seed) step \(step): not followed") }
            followed = learned == after
        }
    }
}
