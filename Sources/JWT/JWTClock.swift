import Runtime

/// Where a verifier reads the current time, in whole seconds since the Unix epoch.
///
/// Injected so that tests can pin the time (the RFC 7515 examples expired in 2011) instead of sleeping.
public struct JWTClock: Sendable {
    private let read: @Sendable () -> Int

    /// A clock that answers `read()`.
    public init(_ read: @escaping @Sendable () -> Int) {
        self.read = read
    }

    /// The system's real-time clock.
    public static let system = JWTClock { Int(Timestamp.now().millisecondsSinceEpoch / 1000) }

    /// A clock that always answers `seconds`.
    public static func fixed(at seconds: Int) -> JWTClock {
        JWTClock { seconds }
    }

    /// The current time in seconds since the Unix epoch.
    public func now() -> Int { read() }
}
