import HTTPServer
import Runtime

/// Where the Evolution API is and how to call it: `EVOLUTION_API_URL`, `EVOLUTION_API_KEY`, `EVOLUTION_TIMEOUT_MS`.
///
/// The key is a secret: `description` and `debugDescription` never show it, and a ``ConfigurationError`` names the
/// variable at fault, never its value.
public struct EvolutionConfiguration: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The default per-call deadline: 10 s.
    public static let defaultTimeoutMilliseconds = 10_000
    /// The longest per-call deadline accepted: 5 minutes.
    public static let maximumTimeoutMilliseconds = 300_000

    /// `EVOLUTION_API_URL`: `http://` or `https://`, a host, an optional path; no trailing slash, query or
    /// credentials.
    public var baseURL: String
    /// `EVOLUTION_API_KEY`: the global API key, sent only in the `apikey` header.
    public var apiKey: String
    /// `EVOLUTION_TIMEOUT_MS`: the deadline of one upstream call, in milliseconds.
    public var timeoutMilliseconds: Int

    /// A configuration from its parts (not validated: ``load(from:)`` validates).
    public init(
        baseURL: String, apiKey: String, timeoutMilliseconds: Int = EvolutionConfiguration.defaultTimeoutMilliseconds
    ) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// Reads and validates the three variables; the error names the first variable at fault. Nil when neither
    /// `EVOLUTION_API_URL` nor `EVOLUTION_API_KEY` is set: the Evolution servers are then the registered ones.
    public static func load(from environment: [String: String]) throws(ConfigurationError) -> EvolutionConfiguration? {
        let url = environment["EVOLUTION_API_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let key = environment["EVOLUTION_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if url == nil && key == nil { return nil }
        if url == nil {
            throw ConfigurationError(variable: "EVOLUTION_API_URL", problem: "is not set, but EVOLUTION_API_KEY is")
        }
        let baseURL = try Self.baseURL(from: url)
        guard let apiKey = key else {
            throw ConfigurationError(variable: "EVOLUTION_API_KEY", problem: "is not set")
        }
        try Self.validateKey(apiKey, variable: "EVOLUTION_API_KEY")
        let timeout = try Self.timeout(from: environment["EVOLUTION_TIMEOUT_MS"])
        return EvolutionConfiguration(baseURL: baseURL, apiKey: apiKey, timeoutMilliseconds: timeout)
    }

    /// Refuses an API key that cannot travel in a header: a space or a control character would change or split it.
    static func validateKey(_ apiKey: String, variable: String) throws(ConfigurationError) {
        guard !apiKey.isEmpty, apiKey.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw ConfigurationError(
                variable: variable, problem: "must not be empty or contain spaces or control characters")
        }
    }

    /// Checks an Evolution base URL (`http://` or `https://`, a host, no query or credentials) and returns it without
    /// a trailing slash; the error names `variable`.
    public static func validatedBaseURL(_ value: String, variable: String) throws(ConfigurationError) -> String {
        do {
            return try baseURL(from: value)
        } catch {
            throw ConfigurationError(variable: variable, problem: error.problem)
        }
    }

    /// The settings with the key redacted.
    public var description: String {
        "EvolutionConfiguration(baseURL: \(baseURL), apiKey: <redacted>, timeoutMilliseconds: \(timeoutMilliseconds))"
    }

    /// The same as `description`: the key stays redacted even in debug output.
    public var debugDescription: String { description }

    private static func baseURL(from value: String?) throws(ConfigurationError) -> String {
        func invalid(_ problem: String) -> ConfigurationError {
            ConfigurationError(variable: "EVOLUTION_API_URL", problem: problem)
        }
        guard let value, !value.isEmpty else { throw invalid("is not set") }
        let lowered = value.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lowered.hasPrefix($0) }) else {
            throw invalid("must start with http:// or https://")
        }
        guard value.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw invalid("must not contain spaces or control characters")
        }
        guard !value.contains("?"), !value.contains("#") else { throw invalid("must not have a query or fragment") }
        let rest = value.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" }
        guard !authority.isEmpty else { throw invalid("has no host") }
        // Credentials in the URL would travel as Basic authentication; the key belongs in EVOLUTION_API_KEY.
        guard !authority.contains("@") else { throw invalid("must not contain credentials (user@host)") }
        var trimmed = Substring(value)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    /// `EVOLUTION_TIMEOUT_MS`, or the default when unset.
    static func timeout(from value: String?) throws(ConfigurationError) -> Int {
        guard let value, !value.isEmpty else { return defaultTimeoutMilliseconds }
        guard value.utf8.count <= 9, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let milliseconds = Int(value),
            (1...maximumTimeoutMilliseconds).contains(milliseconds)
        else {
            throw ConfigurationError(
                variable: "EVOLUTION_TIMEOUT_MS", problem: "must be a whole number of milliseconds from 1 to 300000")
        }
        return milliseconds
    }
}
