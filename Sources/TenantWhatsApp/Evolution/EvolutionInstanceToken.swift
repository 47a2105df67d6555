/// An instance's own API token (the `hash` of create). A secret: it prints as `<redacted>` everywhere.
public struct EvolutionInstanceToken: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The token itself. Never log it.
    public let value: String

    /// A token from its text.
    public init(_ value: String) {
        self.value = value
    }

    /// `<redacted>`.
    public var description: String { "<redacted>" }
    /// `<redacted>`.
    public var debugDescription: String { "<redacted>" }
    /// A mirror without the value, so `dump` and reflection do not print it either.
    public var customMirror: Mirror { Mirror(self, children: []) }
}
