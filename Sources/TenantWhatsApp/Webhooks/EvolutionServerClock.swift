import Runtime

/// What one Evolution server's deliveries have taught this process about its clock: the offset its `date_time`
/// readings are converted with, learned so that no single delivery can move it the wrong way (docs/webhooks.md,
/// "Learning each server's offset").
///
/// Each delivery brings an observation: its `date_time` minus the moment its token was signed (`iat`, UTC, read on the
/// same host), rounded to 15 minutes. Evolution signs once per event, right after writing `date_time`, so a retry or a
/// replay carries the observation of its first sending, whatever its lateness and whatever the difference between the
/// two hosts' clocks. Without `iat`, the moment it was received stands in (a late delivery then looks like a lower
/// offset, never a higher one). A delivery is fresh when it was signed within ``freshness`` before it arrived and no
/// more than ``signingSlack`` before the newest signing seen: a retry or a replay is not. Then:
/// - the first observation is taken as it is;
/// - a fresh observation above the learned offset is taken at once: a delivery can be late, never early, so that is a
///   clock that moved forward (a daylight saving time start) or a first value that was too low;
/// - a lower one is taken only once ``confirmations`` fresh observations in a row agree on it (a daylight saving time
///   end, or a host moved to another zone); a fresh observation at the learned offset starts the count again;
/// - an observation that is not fresh changes nothing.
///
/// A learned offset too high only makes events look older than they are (then ignored, and status asks Evolution once
/// its record is older than `STATUS_MAX_AGE_MS`); one too low would let an old event pass for a new one: so rises are
/// quick and falls are confirmed.
struct EvolutionServerClock: Sendable, Equatable {
    /// The offset readings are converted with; nil before the first observation.
    private(set) var offset: EvolutionClockOffset?
    /// A lower offset that the last fresh observations agreed on, and how many of them in a row.
    private(set) var pendingFall: PendingFall?
    /// The latest `iat` of any delivery seen.
    private(set) var newestSigning: Timestamp?

    /// A lower offset waiting for its confirmations.
    struct PendingFall: Sendable, Equatable {
        let offset: EvolutionClockOffset
        let count: Int
    }

    /// Fresh observations in a row that move the offset down.
    static let confirmations = 3
    /// How long after its signing a delivery can still be fresh: five minutes (Evolution's own retries come 5, 10, 20…
    /// seconds after it, and its token lives ten).
    static let freshness: Duration = .seconds(300)
    /// How much older than the newest signing seen a fresh delivery's may be: events signed at about the same moment
    /// arrive in any order, and `iat` is in whole seconds.
    static let signingSlack: Duration = .seconds(3)

    /// A clock that knows `offset` already (read at start), or nothing.
    init(offset: EvolutionClockOffset? = nil) {
        self.offset = offset
    }

    /// Takes in one delivery: its `date_time` `reading`, its token's `iat` (nil without one) and when it arrived
    /// (this host's clock); true when the learned offset changed.
    @discardableResult
    mutating func observe(reading: EvolutionDateTime, issuedAt: Timestamp?, receivedAt: Timestamp) -> Bool {
        let time = reading.reading.millisecondsSinceEpoch
        guard let issuedAt, let observed = EvolutionClockOffset(nearest: time - issuedAt.millisecondsSinceEpoch) else {
            return observe(EvolutionClockOffset(nearestWithin: time - receivedAt.millisecondsSinceEpoch), fresh: true)
        }
        let signed = issuedAt.millisecondsSinceEpoch
        let fresh =
            receivedAt.millisecondsSinceEpoch - signed <= Self.milliseconds(Self.freshness)
            && signed >= (newestSigning?.millisecondsSinceEpoch ?? signed) - Self.milliseconds(Self.signingSlack)
        newestSigning = max(newestSigning ?? issuedAt, issuedAt)
        return observe(observed, fresh: fresh)
    }

    /// Takes in one observation, fresh or not; true when the learned offset changed.
    @discardableResult
    mutating func observe(_ observed: EvolutionClockOffset, fresh: Bool) -> Bool {
        guard let learned = offset else {
            offset = observed
            return true
        }
        guard fresh, observed != learned else {
            if fresh { pendingFall = nil }
            return false
        }
        if observed > learned {
            offset = observed
            pendingFall = nil
            return true
        }
        let count = pendingFall?.offset == observed ? (pendingFall?.count ?? 0) + 1 : 1
        guard count >= Self.confirmations else {
            pendingFall = PendingFall(offset: observed, count: count)
            return false
        }
        offset = observed
        pendingFall = nil
        return true
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        Int64(duration / .milliseconds(1))
    }
}
