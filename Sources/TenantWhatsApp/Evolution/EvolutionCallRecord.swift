/// What to log about one Evolution call: never a header, a body or the key.
public struct EvolutionCallRecord: Sendable {
    /// The operation, e.g. `createInstance`.
    public let operation: String
    /// The HTTP status, when an answer came.
    public let status: Int?
    /// How long the call took.
    public let duration: Duration
    /// The failure, or nil on success.
    public let error: EvolutionError?

    /// A record from its parts.
    public init(operation: String, status: Int?, duration: Duration, error: EvolutionError?) {
        self.operation = operation
        self.status = status
        self.duration = duration
        self.error = error
    }

    /// `ok` or the error's code.
    public var outcome: String { error?.code ?? "ok" }
}
