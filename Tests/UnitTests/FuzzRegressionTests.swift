import HTTPServer
import JSON
import Testing

/// Inputs the fuzz targets of `Fuzz/` (run by `scripts/fuzz`) stopped on, kept so that what they showed stays true.
///
/// No target has found a crash in the code under test so far (see the README's "Fuzzing" section for the runs);
/// the first input below stopped the JSON target's round-trip check, and showed that the check, not the parser,
/// was wrong.
@Suite("Fuzzing regressions")
struct FuzzRegressionTests {
    /// `1E1` is the number 10 with a fraction-or-exponent form, so it parses as `.number(10)`; serialised it is
    /// written `10`, which parses back as `.integer(10)`. Different cases of `JSONValue`, the same number: the fuzz
    /// target compares numbers by value since.
    @Test func aWholeNumberWrittenWithAnExponentComesBackAsTheSameNumber() throws {
        let parsed = try JSONParser().parse(Array("1E1".utf8))
        #expect(parsed == .number(10))
        #expect(parsed.serializedString() == "10")
        let again = try JSONParser().parse(parsed.serialized())
        #expect(again == .integer(10))
        #expect(again.doubleValue == parsed.doubleValue)
        #expect(again.integerValue == parsed.integerValue)
    }

    /// `HTTP_` followed by a combining mark (U+0349) is a header parameter by its bytes, which is how nginx builds
    /// the names; compared by Character, `"HTTP_\u{349}…"` does not start with `"HTTP_"` (the mark joins the `_`), and
    /// the fastcgi target's own check counted it that way: the check compares bytes since.
    @Test func aHeaderParameterIsRecognisedByItsBytes() {
        let request = HTTPRequest(fastCGIParameters: [("HTTP_\u{349}X", "1"), ("HTTP_A", "2")])
        #expect(Array(request.headers).count == 2)
        #expect(request.headers.values(for: "a") == ["2"])
    }
}
