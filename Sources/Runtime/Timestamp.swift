internal import Glibc

/// Wall-clock instants written as ISO 8601 UTC with milliseconds, e.g. `2025-08-27T14:03:11.532Z`.
public struct Timestamp: Sendable, Equatable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSinceEpoch: Int64

    /// An instant from milliseconds since the epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The instant `text` writes as `YYYY-MM-DDTHH:MM:SS[.fff]Z` (UTC; fractional digits beyond milliseconds are
    /// dropped), or nil for any other text.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        let separators: [(Int, UInt8)] = [(4, 0x2D), (7, 0x2D), (10, 0x54), (13, 0x3A), (16, 0x3A)]
        guard separators.allSatisfy({ bytes[$0.0] == $0.1 }), let year = number(0, 4), let month = number(5, 2),
            let day = number(8, 2), let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var milliseconds = 0
        if bytes[19] == UInt8(ascii: ".") {
            let digits = bytes.count - 1 - 20
            guard digits >= 1, number(20, digits) != nil, let leading = number(20, min(digits, 3)) else { return nil }
            milliseconds = leading * [100, 10, 1][min(digits, 3) - 1]
        } else if bytes.count != 20 {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        self.init(millisecondsSinceEpoch: Int64(seconds) * 1000 + Int64(milliseconds))
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Timestamp(millisecondsSinceEpoch: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }

    /// Orders instants in time.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var description: String {
        var seconds = time_t(millisecondsSinceEpoch.floorDivided(by: 1000))
        let milliseconds = Int(millisecondsSinceEpoch - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Written digit by digit into one buffer: this runs for every log line.
        var text: [UInt8] = []
        text.reserveCapacity(24)
        Self.append(Int(parts.tm_year) + 1900, width: 4, to: &text)
        text.append(UInt8(ascii: "-"))
        Self.append(Int(parts.tm_mon) + 1, width: 2, to: &text)
        text.append(UInt8(ascii: "-"))
        Self.append(Int(parts.tm_mday), width: 2, to: &text)
        text.append(UInt8(ascii: "T"))
        Self.append(Int(parts.tm_hour), width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        Self.append(Int(parts.tm_min), width: 2, to: &text)
        text.append(UInt8(ascii: ":"))
        Self.append(Int(parts.tm_sec), width: 2, to: &text)
        text.append(UInt8(ascii: "."))
        Self.append(milliseconds, width: 3, to: &text)
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `value` in decimal, zero-padded to `width` digits (more when it needs them).
    private static func append(_ value: Int, width: Int, to text: inout [UInt8]) {
        // Fixed-width fields (a year past 9999 keeps all its digits): no intermediate array.
        var rest = max(0, value)
        var count = 1
        var scale = 1
        while rest / scale >= 10 {
            scale *= 10
            count += 1
        }
        for _ in count..<max(width, count) { text.append(UInt8(ascii: "0")) }
        while scale > 0 {
            text.append(UInt8(ascii: "0") + UInt8(rest / scale))
            rest %= scale
            scale /= 10
        }
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
