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
