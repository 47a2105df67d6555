import Runtime
import Testing

@testable import TenantWhatsApp

/// Evolution's `date_time` read strictly, with a real calendar, and checked against this host's clock: only a reading
/// some time zone explains reaches PostgreSQL (docs/webhooks.md, "Evolution's clock").
@Suite("Evolution date_time")
struct EvolutionDateTimeTests {
    @Test(
        arguments: [
            ("2025-10-21T11:40:39.123Z", 1_761_046_839_123), ("2025-10-21T11:40:39Z", 1_761_046_839_000),
            ("2025-10-21T11:40:39.1Z", 1_761_046_839_100), ("2025-10-21T11:40:39.123456789Z", 1_761_046_839_123),
            ("2024-02-29T00:00:00.000Z", 1_709_164_800_000), ("2000-02-29T23:59:59.999Z", 951_868_799_999),
            ("1970-01-01T00:00:00.000Z", 0), ("0001-01-01T00:00:00.000Z", -62_135_596_800_000),
            ("9999-12-31T23:59:59.999Z", 253_402_300_799_999),
        ] as [(String, Int64)])
    func aRealInstantIsReadToTheMillisecond(text: String, milliseconds: Int64) throws {
        #expect(try EvolutionDateTime(parsing: text).reading.millisecondsSinceEpoch == milliseconds)
    }

    @Test(arguments: [
        "2026-02-30T10:00:00.000Z", "2026-02-29T10:00:00.000Z", "1900-02-29T10:00:00.000Z", "2026-04-31T10:00:00Z",
        "2026-02-30T25:61:61Z", "2026-12-06T24:00:00.000Z", "2026-12-06T10:60:00.000Z", "2026-12-06T10:00:60.000Z",
        "0000-01-01T00:00:00.000Z", "2026-00-06T10:00:00.000Z", "2026-12-00T10:00:00.000Z", "2026-13-01T10:00:00Z",
        "2026-12-06T10:00:00.000+00:00", "2026-12-06T10:00:00.000z", "2026-12-06 10:00:00.000Z",
        "2026-12-06T10:00:00.Z", "2026-12-06T10:00:00.1234567890Z", "+2026-12-06T10:00:00Z", "2026-12-6T10:00:00Z",
        "", "Z", "10000-01-01T00:00:00Z", "2026-12-06T10:00:00.12a4Z", "２０２６-12-06T10:00:00Z",
    ])
    func aTextThatIsNoRealInstantIsRefused(text: String) {
        #expect(throws: WebhookTimeProblem.notAnInstant) { try EvolutionDateTime(parsing: text) }
    }

    @Test func everyDayOfFourHundredYearsReadsAsTheCLibraryCountsIt() throws {
        // Timestamp(iso8601:) counts with timegm(3): both must agree on every real day of a whole Gregorian cycle.
        var day = Timestamp(
            millisecondsSinceEpoch: Int64(EvolutionDateTime.daysSinceEpoch(year: 1900, month: 3, day: 1)) * 86_400_000)
        for _ in 0..<146_097 {
            let text = day.description
            #expect(try EvolutionDateTime(parsing: text).reading == Timestamp(iso8601: text))
            day = Timestamp(millisecondsSinceEpoch: day.millisecondsSinceEpoch + 86_400_000 + 1_001)
        }
    }

    @Test func aReadingIsExplainedFromTwelveHoursFifteenBehindToFourteenHoursFiveAhead() throws {
        let now = Timestamp(millisecondsSinceEpoch: 1_796_000_000_000)
        func reading(_ milliseconds: Int64) -> EvolutionDateTime {
            EvolutionDateTime(reading: Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch + milliseconds))
        }
        try reading(EvolutionDateTime.latestAhead).check(against: now)
        try reading(-EvolutionDateTime.earliestBehind).check(against: now)
        try reading(0).check(against: now)
        #expect(EvolutionDateTime.latestAhead == (14 * 60 + 5) * 60_000)
        #expect(throws: WebhookTimeProblem.aheadOfEveryTimeZone) {
            try reading(EvolutionDateTime.latestAhead + 1).check(against: now)
        }
        #expect(throws: WebhookTimeProblem.behindEveryTimeZone) {
            try reading(-EvolutionDateTime.earliestBehind - 1).check(against: now)
        }
    }

    @Test func aProblemIsLoggedWithoutTheValue() {
        let problems: [WebhookTimeProblem] = [.missing, .notAnInstant, .aheadOfEveryTimeZone, .behindEveryTimeZone]
        #expect(Set(problems.map(\.description)).count == problems.count)
        #expect(problems.allSatisfy { !$0.description.contains("2026") })
    }
}
