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
