/// What a status check found upstream, shared by every request that joined it.
enum StatusCheck: Sendable, Equatable {
    /// The instance is there in `state`, recorded at `checkedAt` (ISO 8601).
    case observed(EvolutionConnectionState, instanceName: String, checkedAt: String)
    /// Evolution no longer knows the instance; its stored name was cleared.
    case gone
}
