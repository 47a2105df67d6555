import Testing

@testable import JWT

@Suite("Base64url decoding")
struct Base64URLTests {
    private func decode(_ text: String) -> [UInt8]? {
        Base64URL.decode(Array(text.utf8)[...])
    }

    @Test func decodesWhatFoundationEncodesForEveryLength() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(decode(TokenFactory.encode(bytes)) == bytes, "length \(length)")
        }
    }

    @Test func decodesTheWholeAlphabet() {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        #expect(decode(alphabet) == TokenFactory.decode(alphabet))
    }

    @Test(arguments: [
        "VGVzdA==", "VGVzdA=", "VGVz dA", " VGVzdA", "VGVzdA ", "VGVz\ndA", "VGVz\tdA", "a+b/", "A", "AAAAA", "VGVzdA?",
        "#", "AB", "ABC", "AAB", "YR", "YWJ",
    ])
    func refusesNonCanonicalText(text: String) {
        #expect(decode(text) == nil)
    }

    @Test func acceptsTheCanonicalFormsOfShortTails() {
        #expect(decode("AA") == [0])
        #expect(decode("AAA") == [0, 0])
        #expect(decode("YQ") == Array("a".utf8))
        #expect(decode("YWI") == Array("ab".utf8))
        #expect(decode("") == [])
    }
}
