import Foundation
import JSON
import Testing

@Suite("JSON serialization")
struct JSONSerializationTests {
    @Test func keepsObjectKeysInTheOrderWritten() {
        let value: JSONValue = ["success": true, "instanceName": "tenant_a", "qrcode": nil, "count": 3]
        #expect(value.serializedString() == #"{"success":true,"instanceName":"tenant_a","qrcode":null,"count":3}"#)
    }

    @Test func escapesControlCharactersQuotesAndMarkup() {
        let value = JSONValue.string("a\"b\\c\n\u{01}<script>&\u{2028}é")
        #expect(value.serializedString() == #""a\"b\\c\n\u0001\u003cscript\u003e\u0026\u2028é""#)
    }

    /// U+2028/9 are three bytes that start like other characters (U+2027, €): only those two are escaped.
    @Test(arguments: [
        ("\u{2028}\u{2029}", #""\u2028\u2029""#), ("\u{2027}", "\"\u{2027}\""), ("€\u{2028}€", "\"€\\u2028€\""),
        ("x\u{2029}", #""x\u2029""#), ("\u{20AC}\u{2028}", "\"€\\u2028\""), ("\u{E000}", "\"\u{E000}\""),
    ])
    func escapesOnlyTheTwoLineSeparatorsAmongThreeByteCharacters(text: String, expected: String) {
        #expect(JSONValue.string(text).serializedString() == expected)
    }

    @Test func roundTripsThroughFoundation() throws {
        let text = "Instância WhatsApp criada com sucesso. 😀 \u{0} \t"
        let value: JSONValue = ["message": .string(text), "list": [1, .number(2.5), false]]
        let decoded = try #require(
            JSONSerialization.jsonObject(with: Data(value.serialized())) as? [String: Any])
        #expect(decoded["message"] as? String == text)
        #expect((decoded["list"] as? [Any])?.count == 3)
    }

    @Test func writesNonFiniteNumbersAsNull() {
        #expect(JSONValue.array([.number(.infinity), .number(.nan)]).serializedString() == "[null,null]")
    }
}
