/// How one attempt to deliver an event ended, and what happens to the event next.
struct EventDeliveryResult: Sendable {
    /// What happens to the event.
    enum Next: Sendable, Equatable {
        /// The endpoint answered 2xx: done.
        case delivered
        /// Another attempt after `delay`.
        case retry(after: Duration)
        /// That was the last attempt: the event is kept, dead.
        case dead
        /// The endpoint answered 410 Gone: every delivery stops until `tenant-whatsapp events resume`.
        case paused
    }

    let event: OutboxEvent
    let next: Next
    /// The endpoint's status code, when it answered.
    let status: Int?
    /// Why the attempt failed, for `events list` (the status, or the transport failure; never the endpoint's body).
    let error: String?
    let duration: Duration
}
