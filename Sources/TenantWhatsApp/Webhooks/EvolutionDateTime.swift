import Runtime

/// Evolution's `date_time`: its host's local wall-clock time written as if it were UTC (`new Date(Date.now() -
/// tzoffset).toISOString()`, docs/webhooks.md), so a reading, not an instant, until that server's offset is taken off
/// (``EvolutionClockOffset/instant(of:)``).
///
/// Read strictly, with a real calendar: `YYYY-MM-DDTHH:MM:SS` with 1 to 9 fractional digits or none, then `Z`; a year
/// from 1 to 9999, a day that exists in its month (leap years included), hours to 23, minutes and seconds to 59 (as
/// JavaScript writes times, never a leap second). Fractions beyond milliseconds are dropped.
struct EvolutionDateTime: Sendable, Equatable, Comparable {
    /// The reading as if it were UTC.
    let reading: Timestamp

    /// The reading `text` writes; ``WebhookTimeProblem/notAnInstant`` for any other text.
    init(parsing text: String) throws(WebhookTimeProblem) {
        guard let reading = Self.parse(Array(text.utf8)) else { throw .notAnInstant }
        self.reading = reading
    }

    /// A reading as given (tests, and the simulator's side of a comparison).
    init(reading: Timestamp) {
        self.reading = reading
    }

    /// Checks this reading against `now` (the responder's clock): any time zone from UTC−12 to UTC+14 explains a
    /// reading from 12 h 15 min behind to 14 h 5 min ahead; anything else is no real Evolution's.
    func check(against now: Timestamp) throws(WebhookTimeProblem) {
        let ahead = reading.millisecondsSinceEpoch - now.millisecondsSinceEpoch
        if ahead > Self.latestAhead { throw .aheadOfEveryTimeZone }
        if ahead < -Self.earliestBehind { throw .behindEveryTimeZone }
    }

    /// UTC+14 and five minutes of clock difference between Evolution's host and this one, in milliseconds.
    static let latestAhead: Int64 = (14 * 60 + 5) * 60_000
    /// UTC−12, a delivery's token life (`exp` is `iat` + 600 s, accepted 60 s after it) and four minutes of clock
    /// difference, in milliseconds.
    static let earliestBehind: Int64 = (12 * 60 + 15) * 60_000

    static func < (lhs: EvolutionDateTime, rhs: EvolutionDateTime) -> Bool { lhs.reading < rhs.reading }

    private static func parse(_ bytes: [UInt8]) -> Timestamp? {
        guard bytes.count >= 20, bytes.count <= 30, bytes.last == UInt8(ascii: "Z") else { return nil }
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")]
        guard separators.allSatisfy({ bytes[$0.0] == $0.1.asciiValue }),
            let year = number(bytes, 0, 4), let month = number(bytes, 5, 2), let day = number(bytes, 8, 2),
            let hour = number(bytes, 11, 2), let minute = number(bytes, 14, 2), let second = number(bytes, 17, 2),
            (1...9999).contains(year), (1...12).contains(month), (1...daysIn(month, of: year)).contains(day),
            hour < 24, minute < 60, second < 60,
            let milliseconds = fraction(bytes)
        else { return nil }
        let days = Int64(daysSinceEpoch(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Timestamp(millisecondsSinceEpoch: seconds * 1000 + Int64(milliseconds))
    }

    /// The milliseconds of `.f…` before the `Z` (1 to 9 digits), 0 without a fraction; nil for anything else.
    private static func fraction(_ bytes: [UInt8]) -> Int? {
        let digits = bytes.count - 21
        if bytes.count == 20 { return 0 }
        guard bytes[19] == UInt8(ascii: "."), (1...9).contains(digits), number(bytes, 20, digits) != nil,
            let leading = number(bytes, 20, min(digits, 3))
        else { return nil }
        return leading * [100, 10, 1][min(digits, 3) - 1]
    }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// The days of `month` in `year` of the proleptic Gregorian calendar.
    static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date (negative before), in the proleptic Gregorian calendar: counted in 400-year
    /// eras of 146,097 days whose years start in March, so that February's varying length comes last in a year.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
