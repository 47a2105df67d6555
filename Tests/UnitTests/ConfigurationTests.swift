import Testing

@testable import TenantWhatsApp

@Suite("Configuration from the environment")
struct ConfigurationTests {
    @Test func requiresDatabaseURLAndNamesIt() {
        #expect(throws: ConfigurationError(variable: "DATABASE_URL", problem: "is not set")) {
            try Configuration.load(from: [:])
        }
    }

    @Test func errorsNeverEchoTheValue() {
        do {
            _ = try Configuration.load(from: ["DATABASE_URL": "postgresql://u:hunter2@h/db", "LOG_LEVEL": "loud"])
            Issue.record("expected an error")
        } catch {
            #expect(error.variable == "LOG_LEVEL")
            #expect(!error.description.contains("loud"))
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func defaultsToInfoLevelAndStandardError() throws {
        let configuration = try Configuration.load(from: ["DATABASE_URL": "postgresql:///x", "LOG_FILE": ""])
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFile == nil)
    }

    @Test(arguments: [("debug", "debug"), ("WARNING", "warning"), ("error", "error"), ("info", "info")])
    func readsLogLevel(value: String, expected: String) throws {
        let configuration = try Configuration.load(from: ["DATABASE_URL": "x", "LOG_LEVEL": value])
        #expect(configuration.logLevel.rawValue == expected)
    }
}
