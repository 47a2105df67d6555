/// Why a delivery's `date_time` cannot order anything: answered 400 `invalid_body` before any SQL, so that PostgreSQL
/// never sees an impossible timestamp and Evolution does not retry (docs/webhooks.md, "Evolution's clock").
enum WebhookTimeProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `date_time`, or one that is not a string.
    case missing
    /// Not `YYYY-MM-DDTHH:MM:SS[.f]Z`, or a date or time that does not exist: February 30, hour 25, minute 61,
    /// second 60, year 0.
    case notAnInstant
    /// Further ahead of now than any time zone is of UTC (UTC+14) plus five minutes of clock difference.
    case aheadOfEveryTimeZone
    /// Further behind now than any time zone is (UTC−12) plus the life of the delivery's token and some clock
    /// difference: no delivery with a valid token can be that old.
    case behindEveryTimeZone

    /// Safe to log: names the problem, never the value.
    var description: String {
        switch self {
        case .missing: "date_time is missing"
        case .notAnInstant: "date_time is not a real instant"
        case .aheadOfEveryTimeZone: "date_time is further ahead than any time zone"
        case .behindEveryTimeZone: "date_time is further behind than any time zone and a live token"
        }
    }
}
