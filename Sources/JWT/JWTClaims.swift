import JSON

/// The claims of a verified, currently valid token, in the order the token wrote them.
public struct JWTClaims: Sendable {
    /// Every claim, in the token's order; names are unique (duplicates are refused).
    public let members: [(String, JSONValue)]

    /// The claim `name`, if present.
    public subscript(name: String) -> JSONValue? {
        members.first { $0.0 == name }?.1
    }

    /// The claim `name` when it is a string, else nil.
    public func string(_ name: String) -> String? {
        self[name]?.stringValue
    }

    /// `sub`, when present.
    public var subject: String? { string("sub") }
}
