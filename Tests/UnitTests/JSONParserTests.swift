import JSON
import Testing

@Suite("Strict JSON parsing")
struct JSONParserTests {
    private let parser = JSONParser()

    @Test func parsesEveryKindOfValue() throws {
        let value = try parser.parse(#" {"a":[1,-2.5e3,true,false,null],"b":"x\u00e9\ud83d\ude00\n","c":{}} "#)
        #expect(value["a"] == [1, .number(-2500), true, false, nil])
        #expect(value["b"]?.stringValue == "xé😀\n")
        #expect(value["c"] == .object([]))
    }

    @Test func keepsKeyOrder() throws {
        let value = try parser.parse(#"{"z":1,"a":2}"#)
        #expect(value.objectMembers?.map(\.0) == ["z", "a"])
    }

    @Test func rejectsDuplicateKeysAtAnyDepth() {
        #expect(throws: JSONParseError.self) { try parser.parse(#"{"a":1,"a":2}"#) }
        #expect(throws: JSONParseError.self) { try parser.parse(#"{"x":{"a":1,"b":2,"a":3}}"#) }
        #expect(throws: JSONParseError.self) { try parser.parse(#"{"a":1,"\u0061":2}"#) }
    }

    @Test func mayAllowDuplicateKeysWhenAsked() throws {
        let lenient = JSONParser(allowsDuplicateKeys: true)
        #expect(try lenient.parse(#"{"a":1,"a":2}"#)["a"] == 1)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "'a'",
        "\"a", "\"\\x\"", "\"\u{01}\"", "\"\\ud800\"", "\"\\udc00\"", "{\"a\" 1}", "[1 2]", "true false", "nul",
        "1e999",
    ])
    func rejectsMalformedText(text: String) {
        #expect(throws: JSONParseError.self) { try parser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError(.invalidUTF8, at: 4)) { try parser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func limitsNestingWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try parser.parse(deep) }
        #expect(throws: Never.self) {
            try parser.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64))
        }
    }

    @Test func distinguishesIntegersFromOtherNumbers() throws {
        #expect(try parser.parse("42") == .integer(42))
        #expect(try parser.parse("42.0") == .number(42))
        #expect(try parser.parse("1e20").integerValue == nil)
        #expect(try parser.parse("1e2").integerValue == 100)
    }

    @Test func errorDescriptionsNeverQuoteTheInput() {
        do {
            _ = try parser.parse(#"{"secret":"hunter2","secret":1}"#)
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
