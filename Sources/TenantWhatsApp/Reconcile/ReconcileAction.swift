import JSON

/// One thing `reconcile` did (or, with `--dry-run`, would do) to bring PostgreSQL and Evolution into agreement.
public struct ReconcileAction: Sendable, Equatable {
    /// What kind of disagreement it settles.
    public enum Kind: String, Sendable, CaseIterable {
        /// A stored name Evolution no longer knows: the name was cleared (audit `instance_gone`).
        case clearedGone = "cleared_gone"
        /// An instance upstream that its existing tenant had not stored (an interrupted connect): stored.
        case adopted
        /// Such an orphan, not connected and older than `--stale-after`: deleted upstream.
        case deletedOrphan = "deleted_orphan"
        /// A stored instance never connected since it was created, older than `--stale-after`: deleted and cleared
        /// (audit `expired`).
        case expired
        /// An instance upstream whose tenant does not exist: reported, deleted only with `--delete-unknown-tenants`.
        case unknownTenant = "unknown_tenant"
        /// The tenant's operation lock was held (a user's connect or disconnect): left for the next run.
        case skippedBusy = "skipped_busy"
        /// The action failed (Evolution or PostgreSQL answered an error): left for the next run.
        case failed
        /// A place on a server taken by a connect that stored no instance there (its create failed, or its process was
        /// killed), with no instance on that server: given back (audit `place_released`).
        case releasedPlace = "released_place"
        /// An instance a disconnect left on a server while it was disabled: deleted now that it answers (audit
        /// `pending_deleted`).
        case deletedPending = "deleted_pending"
        /// The same `tenant_{id}` on two servers: reported, never deleted or adopted automatically.
        case duplicateName = "duplicate_name"
        /// A server that did not answer: its tenants were left as they are.
        case serverUnreachable = "server_unreachable"
        /// A disabled server: not called.
        case skippedServer = "skipped_server"
    }

    /// What kind of action.
    public let kind: Kind
    /// The tenant (from the instance name `tenant_{id}`).
    public let tenantID: String
    /// The Evolution instance.
    public let instanceName: String
    /// Why, in a few words (the state seen, the age), never a secret.
    public let detail: String
    /// False with `--dry-run` (and for reports that change nothing): what would be done.
    public let done: Bool
    /// The Evolution server a line about a whole server is about (`server_unreachable`, `skipped_server`); nil
    /// otherwise.
    public var server: String? = nil

    /// The action's summary line.
    public var line: String {
        let verb =
            switch kind {
            case .clearedGone: done ? "cleared" : "would clear"
            case .adopted: done ? "adopted" : "would adopt"
            case .deletedOrphan: done ? "deleted orphan" : "would delete orphan"
            case .expired: done ? "expired" : "would expire"
            case .unknownTenant: done ? "deleted unknown tenant's instance" : "unknown tenant"
            case .skippedBusy: "skipped (busy)"
            case .failed: "failed"
            case .releasedPlace: done ? "released the place of" : "would release the place of"
            case .deletedPending: done ? "deleted left-behind" : "would delete left-behind"
            case .duplicateName: "duplicate"
            case .serverUnreachable: "server unreachable"
            case .skippedServer: "server skipped"
            }
        if let server { return "\(verb) \(server): \(detail)" }
        return "\(verb) \(instanceName) (tenant \(tenantID)): \(detail)"
    }

    /// The action as a member of `--json`'s `actions`.
    public var json: JSONValue {
        if let server {
            return [
                "kind": .string(kind.rawValue), "server": .string(server), "detail": .string(detail),
                "done": .bool(done),
            ]
        }
        return [
            "kind": .string(kind.rawValue), "tenantId": .string(tenantID), "instanceName": .string(instanceName),
            "detail": .string(detail), "done": .bool(done),
        ]
    }
}
