/// An environment variable of a responder (tenant-whatsapp or evolution-sim) that is missing or wrong. Its
/// description names the variable, never its value.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The environment variable at fault.
    public let variable: String
    /// What is wrong with it, without its value.
    public let problem: String

    /// An error for `variable`.
    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    /// `configuration error: DATABASE_URL is not set`.
    public var description: String { "configuration error: \(variable) \(problem)" }
}
