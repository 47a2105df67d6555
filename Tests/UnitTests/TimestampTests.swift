import HTTPServer
import Runtime
import Testing

@Suite("ISO 8601 timestamps")
struct TimestampTests {
    @Test func writesUTCWithMilliseconds() {
        #expect(Timestamp(millisecondsSinceEpoch: 1_756_303_391_532).description == "2025-08-27T14:03:11.532Z")
        #expect(Timestamp(millisecondsSinceEpoch: 0).description == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).description == "1969-12-31T23:59:59.999Z")
    }

    @Test func nowIsCloseToTheSystemClock() {
        let before = Timestamp.now()
        let after = Timestamp.now()
        #expect(before <= after)
        #expect(before.millisecondsSinceEpoch > 1_700_000_000_000)
    }
}

@Suite("Timestamps read from ISO 8601")
struct TimestampParsingTests {
    @Test(arguments: [
        ("2025-08-27T14:03:11.532Z", Int64(1_756_303_391_532)), ("2025-08-27T14:03:11Z", 1_756_303_391_000),
        ("2025-08-27T14:03:11.5Z", 1_756_303_391_500), ("2025-08-27T14:03:11.532123Z", 1_756_303_391_532),
        ("1970-01-01T00:00:00.000Z", 0),
    ])
    func readsWhatEvolutionAndPostgreSQLWrite(text: String, milliseconds: Int64) {
        #expect(Timestamp(iso8601: text)?.millisecondsSinceEpoch == milliseconds)
    }

    @Test(arguments: [
        "", "2025-08-27 14:03:11Z", "2025-08-27T14:03:11", "2025-13-27T14:03:11Z", "2025-08-27T14:03:11.Z",
    ])
    func refusesAnythingElse(text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func roundTripsItsOwnDescription() {
        let now = Timestamp.now()
        #expect(Timestamp(iso8601: now.description) == now)
    }
}
