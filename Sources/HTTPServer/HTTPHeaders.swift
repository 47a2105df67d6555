/// Header fields, looked up without regard to case, in the order they were added.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    private var fields: [(name: String, value: String)] = []

    /// No fields.
    public init() {}

    /// Fields from name/value pairs, in order.
    public init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name: name, value: value) }
    }

    /// The first value for `name`, whatever its case.
    public subscript(name: String) -> String? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Every value for `name`, whatever its case.
    public func values(for name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Appends a field. Carriage returns and line feeds are removed, so a value can never start a new header.
    public mutating func add(name: String, value: String) {
        fields.append((Self.singleLine(name), Self.singleLine(value)))
    }

    /// Replaces every field named `name` with one field.
    public mutating func replace(name: String, value: String) {
        fields.removeAll { Self.sameName($0.name, name) }
        add(name: name, value: value)
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// Compares the fields in order.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Header names compare without regard to ASCII case (RFC 9110 §5.1), byte by byte, allocating nothing.
    static func sameName(_ first: String, _ second: String) -> Bool {
        first.utf8.count == second.utf8.count
            && zip(first.utf8, second.utf8).allSatisfy { Self.lowercased($0) == Self.lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 0x20 : byte
    }

    static func singleLine(_ text: String) -> String {
        // CR and LF are single bytes in UTF-8 (inside "\r\n" too): scanning bytes finds every one of them.
        var text = text
        let hasLineBreak = text.withUTF8 { bytes in bytes.contains { $0 == 0x0D || $0 == 0x0A } }
        guard hasLineBreak else { return text }
        return String(decoding: text.utf8.filter { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
    }
}
