/// How a call to ``SingleFlight/run(_:deadline:_:)`` got its value, or that it got none.
public enum SingleFlightOutcome<Value> {
    /// This caller ran the work; the value is its own.
    case led(Value)
    /// Another caller was running the work; the value is that caller's.
    case joined(Value)
    /// Another caller was running the work and this caller's deadline passed first.
    case timedOut

    /// The value, whoever computed it; nil when timed out.
    public var value: Value? {
        switch self {
        case .led(let value), .joined(let value): value
        case .timedOut: nil
        }
    }
}

extension SingleFlightOutcome: Sendable where Value: Sendable {}
extension SingleFlightOutcome: Equatable where Value: Equatable {}
