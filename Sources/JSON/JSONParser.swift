/// A strict RFC 8259 parser for untrusted input (tokens, upstream responses).
///
/// Stricter than Foundation on purpose: duplicate object keys are an error (Foundation on Linux keeps the first
/// in `JSONDecoder` and the last in `JSONSerialization`, so two readers could see two different tokens), invalid
/// UTF-8 and lone surrogates are errors, and nesting is limited so hostile input cannot exhaust the stack.
public struct JSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted.
    public var maximumDepth: Int
    /// Whether an object may repeat a key (never, for anything security-relevant).
    public var allowsDuplicateKeys: Bool

    /// A parser; the defaults suit untrusted input.
    public init(maximumDepth: Int = 64, allowsDuplicateKeys: Bool = false) {
        self.maximumDepth = maximumDepth
        self.allowsDuplicateKeys = allowsDuplicateKeys
    }

    /// Parses exactly one JSON value (surrounding whitespace allowed).
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var reader = Reader(bytes: bytes, parser: self)
        reader.skipWhitespace()
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.offset == bytes.count else { throw JSONParseError(.trailingData, at: reader.offset) }
        return value
    }

    /// Parses the UTF-8 bytes of `text`.
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

private struct Reader {
    let bytes: [UInt8]
    let parser: JSONParser
    var offset = 0

    init(bytes: [UInt8], parser: JSONParser) {
        self.bytes = bytes
        self.parser = parser
    }

    mutating func skipWhitespace() {
        while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
    }

    func peek() throws(JSONParseError) -> UInt8 {
        guard offset < bytes.count else { throw JSONParseError(.unexpectedEnd, at: offset) }
        return bytes[offset]
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw JSONParseError(.unexpectedCharacter, at: offset)
        }
    }

    mutating func literal(_ word: String, _ value: JSONValue) throws(JSONParseError) -> JSONValue {
        for byte in word.utf8 {
            guard try peek() == byte else { throw JSONParseError(.unexpectedCharacter, at: offset) }
            offset += 1
        }
        return value
    }

    mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= parser.maximumDepth else { throw JSONParseError(.tooDeep, at: offset) }
        offset += 1
        var members: [(String, JSONValue)] = []
        var keys: Set<String> = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            offset += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedCharacter, at: offset) }
            let keyOffset = offset
            let key = try string()
            if !parser.allowsDuplicateKeys {
                guard keys.insert(key).inserted else { throw JSONParseError(.duplicateKey, at: keyOffset) }
            }
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedCharacter, at: offset) }
            offset += 1
            skipWhitespace()
            members.append((key, try value(depth: depth)))
            skipWhitespace()
            let next = try peek()
            offset += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else { throw JSONParseError(.unexpectedCharacter, at: offset - 1) }
        }
    }

    mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= parser.maximumDepth else { throw JSONParseError(.tooDeep, at: offset) }
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            let next = try peek()
            offset += 1
            if next == UInt8(ascii: "]") { return .array(elements) }
            guard next == UInt8(ascii: ",") else { throw JSONParseError(.unexpectedCharacter, at: offset - 1) }
        }
    }

    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = offset
        var isInteger = true
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw JSONParseError(.invalidNumber, at: offset) }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else {
            while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            try digits()
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            isInteger = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            try digits()
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if isInteger, let integer = Int(text) { return .integer(integer) }
        guard let double = Double(text), double.isFinite else { throw JSONParseError(.invalidNumber, at: start) }
        return .number(double)
    }

    mutating func digits() throws(JSONParseError) {
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw JSONParseError(.invalidNumber, at: offset) }
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    mutating func string() throws(JSONParseError) -> String {
        offset += 1
        var output: [UInt8] = []
        while true {
            let byte = try peek()
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                guard let text = String(validating: output, as: UTF8.self) else {
                    throw JSONParseError(.invalidUTF8, at: offset)
                }
                return text
            case UInt8(ascii: "\\"):
                offset += 1
                try escape(into: &output)
            case 0..<0x20:
                throw JSONParseError(.invalidString, at: offset)
            default:
                output.append(byte)
                offset += 1
            }
        }
    }

    mutating func escape(into output: inout [UInt8]) throws(JSONParseError) {
        let byte = try peek()
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(byte)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800...0xDBFF).contains(scalar) {
                guard try peek() == UInt8(ascii: "\\") else { throw JSONParseError(.invalidEscape, at: offset) }
                offset += 1
                guard try peek() == UInt8(ascii: "u") else { throw JSONParseError(.invalidEscape, at: offset) }
                offset += 1
                let low = try hexQuad()
                guard (0xDC00...0xDFFF).contains(low) else { throw JSONParseError(.invalidEscape, at: offset) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw JSONParseError(.invalidEscape, at: offset)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw JSONParseError(.invalidEscape, at: offset) }
            output.append(contentsOf: String(Character(unicode)).utf8)
        default:
            throw JSONParseError(.invalidEscape, at: offset - 1)
        }
    }

    mutating func hexQuad() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = try peek()
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONParseError(.invalidEscape, at: offset)
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }
}
