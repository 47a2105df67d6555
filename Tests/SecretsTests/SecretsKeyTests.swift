import Foundation
import Secrets
import Testing

/// Reading, making and naming keys.
@Suite("Keys")
struct SecretsKeyTests {
    static let thirtyTwoBytes = Data((0..<32).map { UInt8($0 * 7 + 3) })
    static let padded: String = thirtyTwoBytes.base64EncodedString()
    static let unpadded = String(padded.dropLast())

    static let acceptedTexts: [String] = [padded, unpadded, " \(padded)\n", "\t\r\n\(unpadded)  \n"]

    static let refusedTexts: [String] = [
        Data(count: 31).base64EncodedString(), Data(count: 33).base64EncodedString(),
        Data(count: 64).base64EncodedString(), "", "   ", String(repeating: "*", count: 44),
        "-" + String(padded.dropFirst()), "_" + String(padded.dropFirst()), unpadded + "==",
        String(padded.dropLast(2)) + "B=",
        String(padded.prefix(20)) + " " + String(padded.dropFirst(20)),
    ]

    @Test(arguments: acceptedTexts)
    func readsThirtyTwoBytesOfBase64WithOrWithoutPaddingAndSurroundingWhitespace(text: String) throws {
        let key = try SecretsKey(base64: text)
        #expect(key.base64 == Self.padded)
    }

    @Test(arguments: refusedTexts)
    func refusesOtherLengthsAndTextThatIsNotBase64(text: String) {
        #expect(throws: SecretsError(.invalidKey)) { try SecretsKey(base64: text) }
    }

    @Test func namesAKeyByTheFirstEightBytesOfItsSHA256() throws {
        // sha256sum of 32 zero bytes: 66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925.
        let zero = try Fixtures.key(repeating: 0)
        #expect(zero.id == "66687aadf862bd77")
        #expect(try Fixtures.key(repeating: 0).id == zero.id)
        #expect(try Fixtures.key(repeating: 1).id != zero.id)
    }

    @Test func makesDifferentKeysThatReadBackFromTheirBase64() throws {
        let first = try SecretsKey.generate()
        let second = try SecretsKey.generate()
        #expect(first.id != second.id)
        #expect(first.base64 != second.base64)
        #expect(Data(base64Encoded: first.base64)?.count == 32)
        let readBack = try SecretsKey(base64: first.base64)
        #expect(readBack.id == first.id)
        #expect(readBack.base64 == first.base64)
    }

    @Test func showsOnlyItsIDWhenPrintedOrDumped() throws {
        let key = try Fixtures.key()
        var dumped = ""
        dump(key, to: &dumped)
        for shown in ["\(key)", String(reflecting: key), dumped] {
            #expect(shown.contains(key.id))
            #expect(!shown.contains(key.base64.prefix(8)))
            #expect(!shown.contains("bytes"))
        }
    }
}
