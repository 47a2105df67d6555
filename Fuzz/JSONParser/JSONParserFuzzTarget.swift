import JSON

/// libFuzzer entry: any bytes through the strict parser, with and without duplicate keys. What the strict parser
/// accepts the lenient one must accept as the same value; and it must serialise to bytes that parse back to the
/// same value (numbers compared by value: `1E1` comes back as `10`).
@_cdecl("LLVMFuzzerTestOneInput")
public func jsonParserFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let lenient = try? JSONParser(allowsDuplicateKeys: true).parse(bytes)
    guard let value = try? JSONParser().parse(bytes) else { return 0 }
    guard lenient == value else { fatalError("the lenient parser disagrees on \(bytes)") }
    let serialized = value.serialized()
    guard let again = try? JSONParser().parse(serialized) else {
        fatalError("serialised value does not parse: \(String(decoding: serialized, as: UTF8.self))")
    }
    guard sameValue(again, value) else {
        fatalError("round trip changed the value: \(String(decoding: serialized, as: UTF8.self))")
    }
    return 0
}

/// Equality of JSON values where an integer and a number are the same when they are the same number; a
/// non-finite number has no JSON form and comes back as `null`.
private func sameValue(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.integer(let a), .number(let b)), (.number(let b), .integer(let a)): return Double(a) == b
    case (.number(let a), .null), (.null, .number(let a)): return !a.isFinite
    case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy(sameValue)
    case (.object(let a), .object(let b)):
        return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && sameValue($0.1, $1.1) }
    default: return lhs == rhs
    }
}
