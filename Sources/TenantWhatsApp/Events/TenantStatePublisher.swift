/// Where a committed change of a tenant's connection state is announced (docs/events.md): the event stream's channel
/// of that tenant. Publishing never fails or slows the caller: it only queues.
protocol TenantStatePublisher: Sendable {
    /// Queues the tenant's current state for publishing, read from PostgreSQL when it is sent; `qrCode` is a QR code
    /// (PNG data URL) just handed out by connect, shown until the state says otherwise.
    func publish(_ tenant: TenantID, qrCode: String?)

    /// Whether messages go anywhere (false: nothing is published, and no stream would ever get a message).
    var isPublishing: Bool { get }
}

extension TenantStatePublisher {
    var isPublishing: Bool { true }
}

/// Publishes nothing: `NCHAN_PUBLISH_SOCKET` is unset (or a unit test).
struct NoStatePublisher: TenantStatePublisher {
    func publish(_ tenant: TenantID, qrCode: String?) {}

    var isPublishing: Bool { false }
}
