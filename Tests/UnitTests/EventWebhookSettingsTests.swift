import Runtime
import Testing

@testable import TenantWhatsApp

@Suite("Event webhooks: settings and retries")
struct EventWebhookSettingsTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let minimal = ConfigurationTests.minimal

    private func load(_ extra: [String: String]) throws(ConfigurationError) -> Configuration {
        try Configuration.load(from: Self.minimal.merging(extra) { $1 })
    }

    private func problem(_ extra: [String: String]) -> String? {
        do {
            _ = try load(extra)
            return nil
        } catch {
            return error.variable
        }
    }

    @Test func withoutAnURLNoEventsAreWrittenOrDelivered() throws {
        let configuration = try load([:])
        #expect(configuration.eventWebhook == nil)
        #expect(!configuration.sessionSettings.contains { $0.contains("tenant_whatsapp.events") })
    }

    @Test func withAnURLEverySessionWritesEventsAndTheDefaultsHold() throws {
        let configuration = try load([
            "EVENTS_WEBHOOK_URL": "https://saas.example/hooks", "EVENTS_WEBHOOK_SECRET": Self.secret,
        ])
        let settings = try #require(configuration.eventWebhook)
        #expect(configuration.sessionSettings.contains("SET tenant_whatsapp.events = 'on'"))
        #expect(settings.concurrency == 4)
        #expect(settings.retrySchedule == EventWebhookSettings.defaultRetrySchedule)
        // At least 24 hours from the first attempt to the last.
        #expect(settings.retrySchedule.reduce(.zero, +) >= .seconds(24 * 3600))
    }

    @Test(arguments: [
        (["EVENTS_WEBHOOK_URL": "https://saas.example/hooks"], "EVENTS_WEBHOOK_SECRET"),
        (["EVENTS_WEBHOOK_SECRET": secret], "EVENTS_WEBHOOK_URL"),
        (["EVENTS_WEBHOOK_URL": "ftp://saas.example/hooks", "EVENTS_WEBHOOK_SECRET": secret], "EVENTS_WEBHOOK_URL"),
        (
            ["EVENTS_WEBHOOK_URL": "https://saas.example/hooks", "EVENTS_WEBHOOK_SECRET": "short"],
            "EVENTS_WEBHOOK_SECRET"
        ),
        (
            ["EVENTS_WEBHOOK_URL": "https://a.example", "EVENTS_WEBHOOK_SECRET": secret, "EVENTS_CONCURRENCY": "0"],
            "EVENTS_CONCURRENCY"
        ),
        (
            [
                "EVENTS_WEBHOOK_URL": "https://a.example", "EVENTS_WEBHOOK_SECRET": secret,
                "EVENTS_RETRY_SCHEDULE": "0s,,5s",
            ],
            "EVENTS_RETRY_SCHEDULE"
        ),
        (
            [
                "EVENTS_WEBHOOK_URL": "https://a.example", "EVENTS_WEBHOOK_SECRET": secret,
                "EVENTS_RETRY_SCHEDULE": "8d",
            ],
            "EVENTS_RETRY_SCHEDULE"
        ),
    ])
    func refusesAtStartWhatCannotWork(_ extra: [String: String], _ variable: String) {
        #expect(problem(extra) == variable)
    }

    @Test func aRefusedSecretIsNeverInTheError() {
        do {
            _ = try load([
                "EVENTS_WEBHOOK_URL": "https://a.example", "EVENTS_WEBHOOK_SECRET": "whsec_tooShortSecretValue",
            ])
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("tooShortSecretValue"))
        }
    }

    @Test func theScheduleIsReadAsOneDelayPerAttempt() throws {
        let settings = try #require(
            try load([
                "EVENTS_WEBHOOK_URL": "http://127.0.0.1:9/x", "EVENTS_WEBHOOK_SECRET": Self.secret,
                "EVENTS_RETRY_SCHEDULE": "0s, 1s,2m,3h", "EVENTS_CONCURRENCY": "16",
            ]).eventWebhook)
        #expect(settings.retrySchedule == [.zero, .seconds(1), .seconds(120), .seconds(10_800)])
        #expect(settings.concurrency == 16)
        #expect(!settings.sendsQRCodeImage)
    }

    @Test func theQRCodeImageIsSentOnlyWhenAskedFor() throws {
        let base = ["EVENTS_WEBHOOK_URL": "http://127.0.0.1:9/x", "EVENTS_WEBHOOK_SECRET": Self.secret]
        #expect(
            try load(base.merging(["EVENTS_WEBHOOK_QRCODE": "image"]) { $1 }).eventWebhook?.sendsQRCodeImage == true)
        #expect(
            try load(base.merging(["EVENTS_WEBHOOK_QRCODE": "none"]) { $1 }).eventWebhook?.sendsQRCodeImage == false)
        #expect(problem(base.merging(["EVENTS_WEBHOOK_QRCODE": "yes"]) { $1 }) == "EVENTS_WEBHOOK_QRCODE")
    }

    @Test func aRetryWaitsTheScheduledDelaySpreadByAtMostAFifth() {
        let policy = EventRetryPolicy(schedule: [.zero, .seconds(5), .seconds(300)])
        #expect(policy.delay(afterAttempts: 1, retryAfter: nil, random: 0) == .seconds(4))
        #expect(policy.delay(afterAttempts: 1, retryAfter: nil, random: 0.5) == .seconds(5))
        #expect(policy.delay(afterAttempts: 1, retryAfter: nil, random: 1) == .seconds(6))
        #expect(policy.delay(afterAttempts: 2, retryAfter: nil, random: 0.5) == .seconds(300))
    }

    @Test func afterTheLastAttemptThereIsNoRetry() {
        let policy = EventRetryPolicy(schedule: [.zero, .seconds(5), .seconds(300)])
        #expect(policy.delay(afterAttempts: 3, retryAfter: nil, random: 0.5) == nil)
        #expect(EventRetryPolicy(schedule: [.zero]).delay(afterAttempts: 1, retryAfter: nil, random: 0.5) == nil)
    }

    @Test func retryAfterLengthensADelayButNeverShortensIt() {
        let policy = EventRetryPolicy(schedule: [.zero, .seconds(5), .seconds(300)])
        #expect(policy.delay(afterAttempts: 1, retryAfter: .seconds(60), random: 0.5) == .seconds(60))
        #expect(policy.delay(afterAttempts: 2, retryAfter: .seconds(60), random: 0.5) == .seconds(300))
        // Capped at a day.
        #expect(policy.delay(afterAttempts: 1, retryAfter: .seconds(999_999), random: 0.5) == .seconds(86_400))
    }

    @Test func noRetryComesSoonerThanOneSecond() {
        let policy = EventRetryPolicy(schedule: [.zero, .zero, .zero])
        #expect(policy.delay(afterAttempts: 1, retryAfter: nil, random: 0.5) == .seconds(1))
        #expect(policy.delay(afterAttempts: 2, retryAfter: .zero, random: 0.5) == .seconds(1))
    }

    @Test(arguments: [("120", 120), (" 3 ", 3), ("0", 0)])
    func readsRetryAfterInSeconds(_ header: String, _ seconds: Int) {
        #expect(EventRetryPolicy.retryAfter(header) == .seconds(seconds))
    }

    @Test(arguments: ["Wed, 21 Oct 2015 07:28:00 GMT", "-1", "1.5", "", "9999999999"])
    func ignoresRetryAfterThatIsNotWholeSeconds(_ header: String) {
        #expect(EventRetryPolicy.retryAfter(header) == nil)
    }
}
