import Foundation
import Testing

/// The Standard Webhooks receiver the event webhook tests and the benchmark deliver to (`scripts/event-receiver`
/// through ``TestEventReceiver``): what it records, verifies and answers must hold before it judges a sender.
@Suite("Event receiver")
struct EventReceiverTests {
    private static let body =
        #"{"type":"whatsapp.connected","timestamp":"2026-12-06T10:00:00.000Z","#
        + #""data":{"tenantId":"tenant-a","instanceName":"tenant_a","status":"open"}}"#

    @Test func aDeliverySignedWithTheSecretIsRecordedAsVerifiedWithItsHeadersAndBody() throws {
        let receiver = try TestEventReceiver.start()
        let headers = try StandardWebhookSignature.headers(id: "msg_1", body: Self.body, secret: receiver.secret)

        let answer = try deliver(Self.body, headers: headers, to: receiver)

        #expect(answer.status == 204)
        let deliveries = try receiver.deliveries()
        #expect(deliveries.count == 1)
        let delivery = try #require(deliveries.first)
        #expect(delivery.verified)
        #expect(delivery.error == nil)
        #expect(delivery.index == 0)
        #expect(delivery.webhookId == "msg_1")
        #expect(delivery.webhookTimestamp == headers["webhook-timestamp"])
        #expect(delivery.headers["webhook-signature"] == headers["webhook-signature"])
        #expect(delivery.body == Self.body)
        #expect(delivery.status == 204)
        #expect(try delivery.json()["type"] as? String == "whatsapp.connected")
    }

    @Test func aTamperedBodyIsRecordedAsNotVerified() throws {
        let receiver = try TestEventReceiver.start()
        let headers = try StandardWebhookSignature.headers(id: "msg_2", body: Self.body, secret: receiver.secret)
        let tampered = Self.body.replacingOccurrences(of: "tenant-a", with: "tenant-b")

        try deliver(tampered, headers: headers, to: receiver)

        let delivery = try #require(try receiver.deliveries().first)
        #expect(!delivery.verified)
        #expect(delivery.error?.contains("No matching signature") == true)
        #expect(try receiver.deliveries(verifiedOnly: true).isEmpty)
        #expect(try receiver.verify(body: Self.body, headers: headers).verified)
        #expect(try !receiver.verify(body: tampered, headers: headers).verified)
    }

    @Test func aDeliveryStampedTenMinutesAgoIsRecordedAsNotVerifiedThoughItsSignatureMatches() throws {
        let receiver = try TestEventReceiver.start()
        let tenMinutesAgo = Int(Date().timeIntervalSince1970) - 600
        let headers = try StandardWebhookSignature.headers(
            id: "msg_3", timestamp: tenMinutesAgo, body: Self.body, secret: receiver.secret)

        try deliver(Self.body, headers: headers, to: receiver)

        let delivery = try #require(try receiver.deliveries().first)
        #expect(!delivery.verified)
        #expect(delivery.error?.contains("too old") == true)
        #expect(try receiver.verify(body: Self.body, headers: headers).error?.contains("too old") == true)
    }

    @Test func theReceiverAnswersWithTheStatusAndRetryAfterItWasToldUntilReset() throws {
        let receiver = try TestEventReceiver.start()
        let headers = try StandardWebhookSignature.headers(id: "msg_4", body: Self.body, secret: receiver.secret)
        try receiver.setAnswer(status: 500, retryAfter: "3")

        let failed = try deliver(Self.body, headers: headers, to: receiver)
        try receiver.reset()
        let accepted = try deliver(Self.body, headers: headers, to: receiver)

        #expect(failed.status == 500)
        #expect(failed.headers["retry-after"] == "3")
        #expect(accepted.status == 204)
        let deliveries = try receiver.deliveries()
        #expect(deliveries.map(\.status) == [204])
        #expect(deliveries.map(\.index) == [0])
    }

    @Test func aRestartedReceiverRefusesDeliveriesWhileDownThenListensOnTheSamePort() throws {
        let receiver = try TestEventReceiver.start()
        let port = receiver.port
        let headers = try StandardWebhookSignature.headers(id: "msg_5", body: Self.body, secret: receiver.secret)

        receiver.stop()
        #expect(throws: (any Error).self) { try deliver(Self.body, headers: headers, to: receiver) }
        try receiver.restart()
        let answer = try deliver(Self.body, headers: headers, to: receiver)

        #expect(receiver.port == port)
        #expect(answer.status == 204)
        #expect(try receiver.deliveries().map(\.webhookId) == ["msg_5"])
    }

    /// POSTs `body` with `headers` to the receiver's URL, as a sender would.
    @discardableResult
    private func deliver(
        _ body: String, headers: [String: String], to receiver: TestEventReceiver
    ) throws -> TestHTTPResponse {
        try TestHTTPClient.send(
            port: receiver.port, method: "POST", path: "/events",
            headers: [("Content-Type", "application/json")]
                + headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            body: Data(body.utf8))
    }
}
