/// What a status check found upstream, shared by every request that joined it.
enum StatusCheck: Sendable, Equatable {
    /// The instance is there in `state`, recorded at `checkedAt` (ISO 8601), with the account and the last
    /// disconnection as the row holds them after the check (what the check learned included).
    case observed(EvolutionConnectionState, instanceName: String, checkedAt: String, details: StatusDetails)
    /// Evolution no longer knows the instance; its stored name was cleared.
    case gone
}
