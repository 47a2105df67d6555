import Secrets
import Testing

/// The Standard Webhooks signature against the example the specification's reference libraries publish.
@Suite("Standard Webhooks signatures")
struct StandardWebhookSignerTests {
    // The example of the `standardwebhooks` libraries' README (github.com/standard-webhooks/standard-webhooks):
    // secret, message id, timestamp and payload, and the signature every implementation must produce.
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let payload = Array(#"{"test": 2432232314}"#.utf8)

    @Test func signsTheSpecificationsExampleToItsPublishedSignature() throws {
        let signer = try #require(StandardWebhookSigner(secret: Self.secret))
        let signature = try signer.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Self.payload)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aChangedBodyIdOrTimestampChangesTheSignature() throws {
        let signer = try #require(StandardWebhookSigner(secret: Self.secret))
        let original = try signer.signature(id: "msg_1", timestamp: 1_614_265_330, body: Self.payload)
        #expect(try signer.signature(id: "msg_2", timestamp: 1_614_265_330, body: Self.payload) != original)
        #expect(try signer.signature(id: "msg_1", timestamp: 1_614_265_331, body: Self.payload) != original)
        #expect(try signer.signature(id: "msg_1", timestamp: 1_614_265_330, body: Self.payload + [0x20]) != original)
    }

    @Test(arguments: [
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",  // no prefix
        "whsec_",  // no key
        "whsec_eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg=",  // 23 bytes
        "whsec_not base64!",
        "whsec_" + String(repeating: "A", count: 88),  // 66 bytes
    ])
    func refusesASecretThatIsNotWhsecAndTheBase64Of24To64Bytes(_ secret: String) {
        #expect(StandardWebhookSigner(secret: secret) == nil)
    }

    @Test func neverShowsItsKey() throws {
        let signer = try #require(StandardWebhookSigner(secret: Self.secret))
        #expect(!"\(signer)".contains("MfKQ9r8G"))
        #expect("\(signer)" == "StandardWebhookSigner(key: <24 bytes>)")
    }
}
