import Runtime

/// How far an Evolution server's `date_time` runs ahead of UTC: its host's time zone, in minutes east of UTC, a
/// multiple of 15 from −720 (UTC−12) to 840 (UTC+14), which every time zone there is.
struct EvolutionClockOffset: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Minutes east of UTC.
    let minutes: Int

    /// The step of every time zone's offset: 15 minutes (India +5:30, Nepal +5:45 and Chatham +12:45 included).
    static let stepMinutes = 15
    /// Every time zone's offset, in minutes.
    static let range = -720...840
    /// UTC.
    static let utc = EvolutionClockOffset(checked: 0)

    /// The offset of `minutes`; nil unless a multiple of 15 within ``range``.
    init?(minutes: Int) {
        guard Self.range.contains(minutes), minutes % Self.stepMinutes == 0 else { return nil }
        self.minutes = minutes
    }

    /// The offset nearest to `milliseconds` (a reading minus the instant it was taken at); nil when that is beyond
    /// every time zone.
    init?(nearest milliseconds: Int64) {
        let step = Int64(Self.stepMinutes) * 60_000
        let steps = (milliseconds + (milliseconds >= 0 ? step / 2 : -step / 2)) / step
        guard let offset = EvolutionClockOffset(minutes: Int(clamping: steps) * Self.stepMinutes) else { return nil }
        self = offset
    }

    /// The offset nearest to `milliseconds`, or the nearest end of ``range`` beyond it: a late delivery of a UTC−12
    /// host, measured against the moment it was received, is still that host's.
    init(nearestWithin milliseconds: Int64) {
        let bound = { (minutes: Int) in Int64(minutes) * 60_000 }
        let clamped = min(max(milliseconds, bound(Self.range.lowerBound)), bound(Self.range.upperBound))
        self = EvolutionClockOffset(nearest: clamped) ?? .utc
    }

    private init(checked minutes: Int) {
        self.minutes = minutes
    }

    /// The instant a reading of this server's clock stands for: the reading minus the offset.
    func instant(of reading: EvolutionDateTime) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: reading.reading.millisecondsSinceEpoch - Int64(minutes) * 60_000)
    }

    /// `UTC+09:00`, `UTC-03:00`, `UTC+05:45`.
    var description: String {
        let sign = minutes < 0 ? "-" : "+"
        let hours = abs(minutes) / 60
        let rest = abs(minutes) % 60
        return "UTC\(sign)\(hours < 10 ? "0" : "")\(hours):\(rest < 10 ? "0" : "")\(rest)"
    }

    static func < (lhs: EvolutionClockOffset, rhs: EvolutionClockOffset) -> Bool { lhs.minutes < rhs.minutes }
}
