/// Why a text is not acceptable JSON.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: String, Sendable {
        case unexpectedEnd = "unexpected end of input"
        case unexpectedCharacter = "unexpected character"
        case invalidNumber = "invalid number"
        case invalidString = "invalid string"
        case invalidEscape = "invalid escape"
        case invalidUTF8 = "invalid UTF-8"
        case duplicateKey = "duplicate object key"
        case tooDeep = "nesting too deep"
        case trailingData = "data after the value"
    }

    /// What went wrong.
    public let reason: Reason
    /// The byte offset where it was noticed.
    public let offset: Int

    /// An error for `reason` at `offset`.
    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// `invalid JSON: duplicate object key at byte 17` (never quotes the input, which may be a secret).
    public var description: String { "invalid JSON: \(reason.rawValue) at byte \(offset)" }
}
