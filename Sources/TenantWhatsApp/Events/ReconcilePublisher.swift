import Logging
import Postgres

/// The event stream's publisher for a command that changes tenants and then ends (`reconcile`): nchan's socket when
/// `NCHAN_PUBLISH_SOCKET` is set, none otherwise. ``finish()`` waits (briefly) for what was queued.
public final class ReconcilePublisher: Sendable {
    let statePublisher: any TenantStatePublisher

    /// No publishing.
    public static let none = ReconcilePublisher(statePublisher: NoStatePublisher())

    private init(statePublisher: any TenantStatePublisher) {
        self.statePublisher = statePublisher
    }

    /// The publisher `configuration` asks for.
    public convenience init(configuration: Configuration, logger: Logger) {
        self.init(statePublisher: Application.statePublisher(configuration, logger: logger))
    }

    /// Waits up to 5 s until every queued change was published.
    public func finish() {
        (statePublisher as? NchanStatePublisher)?.flush(within: .seconds(5))
    }
}
