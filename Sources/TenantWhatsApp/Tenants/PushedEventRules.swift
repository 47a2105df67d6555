import Runtime

/// When an event Evolution pushed may change a tenant's row: the one rule of the pushed writes, in SQL for
/// ``PostgresTenantRepository`` and in Swift for the in-memory repository of the tests (docs/webhooks.md, "Order").
///
/// An event's time is the instant it happened, UTC (its `date_time` converted with its server's learned offset). It
/// applies only
/// - to the instance stored when it happened: no earlier than the instance was created or adopted
///   (`whatsapp_instance_created_at`) less ``creationTolerance``, so a late or replayed event of an earlier instance
///   of the same name changes nothing;
/// - when no later event was applied (`whatsapp_event_at`), so a repeated or late delivery changes nothing; a stored
///   event time more than ``futureLimit`` ahead of PostgreSQL's clock orders nothing (a row written by a responder
///   before this rule, which stored Evolution's raw readings, can never pin the row).
enum PushedEventRules {
    /// How much earlier than the instance's creation an event of that instance can be dated: one second.
    ///
    /// Such an event was stamped between our reading the new instance's state (create's answer, or `connectionState`
    /// when adopting) and the attach statement's `now()`, usually milliseconds, or comes from a host whose clock lags
    /// PostgreSQL's (kept within milliseconds by NTP). An event of the previous instance of that name is older by at
    /// least a delete, a new connect and a create (whose QR code wait alone is seconds on Evolution, which also holds
    /// the name until its `remove.instance` was delivered).
    static let creationTolerance: Duration = .seconds(1)

    /// How far ahead of PostgreSQL's clock a stored event time may be and still order later events: five minutes.
    static let futureLimit: Duration = .seconds(300)

    /// The rule for the row `row` (an alias of `tenants`) and an event at `eventTime` (a `timestamptz` expression).
    static func sql(row: String, eventTime: String) -> String {
        let tolerance = "interval '\(milliseconds(creationTolerance)) milliseconds'"
        let limit = "interval '\(milliseconds(futureLimit)) milliseconds'"
        return """
            (\(row).whatsapp_instance_created_at IS NULL
                    OR \(eventTime) >= \(row).whatsapp_instance_created_at - \(tolerance))
                AND (\(row).whatsapp_event_at IS NULL OR \(row).whatsapp_event_at <= \(eventTime)
                    OR \(row).whatsapp_event_at > now() + \(limit))
            """
    }

    /// The same rule in Swift: whether an event at `eventTime` applies to an instance created at `createdAt` whose last
    /// applied event was at `lastEventTime`, PostgreSQL's clock reading `now`.
    static func applies(
        eventTime: Timestamp, createdAt: Timestamp?, lastEventTime: Timestamp?, now: Timestamp
    ) -> Bool {
        let created = createdAt.map {
            eventTime.millisecondsSinceEpoch >= $0.millisecondsSinceEpoch - milliseconds(creationTolerance)
        }
        let ordered = lastEventTime.map {
            $0 <= eventTime || $0.millisecondsSinceEpoch > now.millisecondsSinceEpoch + milliseconds(futureLimit)
        }
        return (created ?? true) && (ordered ?? true)
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        Int64(duration / .milliseconds(1))
    }
}
