import JSON

/// The name of a field of a ``JSONLogLine``, with its `,"name":` bytes made once: a line written for every request
/// copies them instead of escaping the name again.
public struct JSONLogKey: Sendable {
    /// The field's name.
    public let name: String
    /// `,"name":`, escaped.
    let prefix: [UInt8]

    /// The key `name`.
    public init(_ name: String) {
        self.name = name
        var prefix: [UInt8] = [UInt8(ascii: ",")]
        JSONValue.writeString(name, to: &prefix)
        prefix.append(UInt8(ascii: ":"))
        self.prefix = prefix
    }
}
