/// Whether a registered Evolution server gets new tenants, keeps its own, or is left alone.
public enum EvolutionServerState: String, Sendable, CaseIterable {
    /// New tenants are placed on it while it has room.
    case active
    /// No new placement; its tenants keep being served (how a node is emptied before it is retired).
    case draining
    /// No call at all: its tenants' connect and status answer 503 at once; their disconnect clears the name here and
    /// leaves the instance for `reconcile` to delete once the server is back.
    case disabled
}
