/// What a logout did.
public enum EvolutionLogoutResult: Sendable, Equatable {
    /// The session was logged out (200 `Instance logged out`).
    case loggedOut
    /// There was nothing to log out: 400 `The "x" instance is not connected` (2.3.x) or 200
    /// `Instance was already disconnected` (2.4.0).
    case wasNotConnected
}
