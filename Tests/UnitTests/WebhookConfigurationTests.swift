import Runtime
import Testing

@testable import TenantWhatsApp

/// `EVOLUTION_WEBHOOK_URL`, `EVOLUTION_WEBHOOK_SECRET` and `STATUS_MAX_AGE_MS`: both webhook variables or neither,
/// a secret of at least 32 bytes that never shows, and the status age that follows.
@Suite("Webhook configuration")
struct WebhookConfigurationTests {
    static let url = "https://api.example.com/api/evolution/webhook"
    static let secret = "webhook-secret-0123456789abcdef-0123"

    private func load(_ extra: [String: String]) throws(ConfigurationError) -> Configuration {
        try Configuration.load(from: ConfigurationTests.minimal.merging(extra) { $1 })
    }

    private func failure(_ extra: [String: String]) -> ConfigurationError? {
        do {
            _ = try load(extra)
            return nil
        } catch {
            return error
        }
    }

    @Test func neitherVariableMeansPollingAndStatusAlwaysAsksEvolution() throws {
        let configuration = try load([:])
        #expect(configuration.webhook == nil)
        #expect(configuration.statusMaxAgeMilliseconds == 0)
    }

    @Test func bothVariablesTurnWebhooksOnWithAFiveSecondStatusAge() throws {
        let configuration = try load(["EVOLUTION_WEBHOOK_URL": Self.url, "EVOLUTION_WEBHOOK_SECRET": Self.secret])
        #expect(configuration.webhook?.url == Self.url)
        #expect(configuration.statusMaxAgeMilliseconds == 5000)
        #expect(!"\(configuration.webhook!)".contains(Self.secret))
    }

    @Test(arguments: [("EVOLUTION_WEBHOOK_URL", url), ("EVOLUTION_WEBHOOK_SECRET", secret)])
    func oneWithoutTheOtherIsRefusedNamingTheMissingOne(set: String, value: String) {
        let error = failure([set: value])
        let missing = set == "EVOLUTION_WEBHOOK_URL" ? "EVOLUTION_WEBHOOK_SECRET" : "EVOLUTION_WEBHOOK_URL"
        #expect(error?.variable == missing)
        #expect(error.map { !$0.description.contains(Self.secret) } ?? false)
    }

    @Test func aSecretShorterThan32BytesIsRefusedWithoutShowingIt() {
        let short = "too-short-secret-31-bytes-long!"
        let error = failure(["EVOLUTION_WEBHOOK_URL": Self.url, "EVOLUTION_WEBHOOK_SECRET": short])
        #expect(error?.variable == "EVOLUTION_WEBHOOK_SECRET")
        #expect(error.map { !$0.description.contains(short) } ?? false)
    }

    @Test(arguments: ["ftp://x/y", "api.example.com/hook", "https://a b/c"])
    func aURLEvolutionWouldNotDeliverToIsRefused(url: String) {
        #expect(
            failure(["EVOLUTION_WEBHOOK_URL": url, "EVOLUTION_WEBHOOK_SECRET": Self.secret])?.variable
                == "EVOLUTION_WEBHOOK_URL")
    }

    @Test func anExplicitStatusAgeWinsAndIsBounded() throws {
        #expect(try load(["STATUS_MAX_AGE_MS": "1500"]).statusMaxAgeMilliseconds == 1500)
        #expect(failure(["STATUS_MAX_AGE_MS": "-1"])?.variable == "STATUS_MAX_AGE_MS")
    }
}
