import HTTPServer
import Runtime
import Testing

@testable import TenantWhatsApp

/// `EVOLUTION_API_URL`, `EVOLUTION_API_KEY` and `EVOLUTION_TIMEOUT_MS`.
@Suite("Evolution configuration")
struct EvolutionConfigurationTests {
    private let valid = ["EVOLUTION_API_URL": "https://evo.example.com/", "EVOLUTION_API_KEY": "secret-key-123"]

    private func load(_ changes: [String: String?]) throws(ConfigurationError) -> EvolutionConfiguration {
        var environment = valid
        for (name, value) in changes { environment[name] = value }
        guard let loaded = try EvolutionConfiguration.load(from: environment) else {
            throw ConfigurationError(variable: "EVOLUTION_API_URL", problem: "and EVOLUTION_API_KEY are not set")
        }
        return loaded
    }

    @Test func readsTheThreeVariablesWithADefaultTimeout() throws {
        let configuration = try load([:])
        #expect(configuration.baseURL == "https://evo.example.com")
        #expect(configuration.apiKey == "secret-key-123")
        #expect(configuration.timeoutMilliseconds == 10_000)
        #expect(try load(["EVOLUTION_TIMEOUT_MS": "2500"]).timeoutMilliseconds == 2500)
    }

    @Test(
        arguments: [
            ("EVOLUTION_API_URL", nil), ("EVOLUTION_API_URL", ""), ("EVOLUTION_API_URL", "ftp://evo.example.com"),
            ("EVOLUTION_API_URL", "evo.example.com"), ("EVOLUTION_API_URL", "http://"),
            ("EVOLUTION_API_URL", "http://user:secret-pass@evo.example.com"), ("EVOLUTION_API_URL", "http://evo/?k=1"),
            ("EVOLUTION_API_URL", "http://evo .example.com"), ("EVOLUTION_API_KEY", nil), ("EVOLUTION_API_KEY", ""),
            ("EVOLUTION_API_KEY", "secret\r\nX: 1"), ("EVOLUTION_TIMEOUT_MS", "0"), ("EVOLUTION_TIMEOUT_MS", "ten"),
            ("EVOLUTION_TIMEOUT_MS", "300001"), ("EVOLUTION_TIMEOUT_MS", "-5"),
        ] as [(String, String?)])
    func refusesABadVariableNamingItButNotItsValue(variable: String, value: String?) {
        do {
            _ = try load([variable: value])
            Issue.record("\(variable) was accepted")
        } catch {
            #expect(error.variable == variable)
            if let value, value.count >= 4 { #expect(!error.description.contains(value)) }
            #expect(!error.description.contains("secret"))
        }
    }

    @Test func theKeyIsRedactedInEveryDescription() throws {
        let configuration = try load([:])
        for text in [configuration.description, configuration.debugDescription, "\(configuration)"] {
            #expect(!text.contains("secret-key-123"))
            #expect(text.contains("<redacted>"))
        }
    }

    @Test func theInstanceTokenIsRedactedEverywhere() {
        let token = EvolutionInstanceToken("token-value-456")
        #expect("\(token)" == "<redacted>")
        #expect(String(reflecting: token) == "<redacted>")
        var dumped = ""
        dump(token, to: &dumped)
        #expect(!dumped.contains("token-value-456"))
    }
}
