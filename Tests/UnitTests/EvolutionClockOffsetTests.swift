import Runtime
import Testing

@testable import TenantWhatsApp

/// A server's time zone as learned from its deliveries: the reading minus the moment it was signed, rounded to the
/// quarter hour every time zone is a multiple of, within UTC−12 to UTC+14.
@Suite("Evolution clock offset")
struct EvolutionClockOffsetTests {
    private static let minute: Int64 = 60_000

    @Test(
        arguments: [
            (-180 * minute + 2_000, -180), (540 * minute - 7 * minute, 540), (7 * minute, 0), (8 * minute, 15),
            (-8 * minute, -15), (330 * minute + 900, 330), (345 * minute, 345), (765 * minute, 765),
            (840 * minute + 7 * minute, 840), (-720 * minute - 7 * minute, -720),
        ] as [(Int64, Int)])
    func aDifferenceRoundsToTheNearestQuarterHour(milliseconds: Int64, minutes: Int) {
        #expect(EvolutionClockOffset(nearest: milliseconds)?.minutes == minutes)
    }

    @Test func nothingBeyondEveryTimeZoneIsAnOffsetButALateReceiptIsTheNearestEnd() {
        #expect(EvolutionClockOffset(nearest: 848 * Self.minute) == nil)
        #expect(EvolutionClockOffset(nearest: -728 * Self.minute) == nil)
        #expect(EvolutionClockOffset(minutes: 10) == nil)
        #expect(EvolutionClockOffset(minutes: 855) == nil)
        #expect(EvolutionClockOffset(nearestWithin: -735 * Self.minute).minutes == -720)
        #expect(EvolutionClockOffset(nearestWithin: 845 * Self.minute).minutes == 840)
    }

    @Test func anInstantIsTheReadingMinusTheOffset() throws {
        let reading = try EvolutionDateTime(parsing: "2026-12-06T09:00:00.000Z")
        let saoPaulo = try #require(EvolutionClockOffset(minutes: -180))
        let tokyo = try #require(EvolutionClockOffset(minutes: 540))
        #expect(saoPaulo.instant(of: reading) == Timestamp(iso8601: "2026-12-06T12:00:00.000Z"))
        #expect(tokyo.instant(of: reading) == Timestamp(iso8601: "2026-12-06T00:00:00.000Z"))
        #expect(saoPaulo.description == "UTC-03:00")
        #expect(EvolutionClockOffset(minutes: 345)?.description == "UTC+05:45")
    }
}
