import Logging
import Runtime

extension JSONLogHandler {
    /// Sends every logger of the process, as JSON lines, to `file` (appended) or to standard error. Call once,
    /// before the first logger is made; a `file` that cannot be opened is a `LOG_FILE` error and bootstraps nothing.
    public static func bootstrap(level: Logger.Level, file: String?) throws(ConfigurationError) {
        let sink: LogSink
        if let file {
            guard let fileSink = LogSink.appending(toFile: file) else {
                throw ConfigurationError(variable: "LOG_FILE", problem: "cannot be opened for appending")
            }
            sink = fileSink
        } else {
            sink = .standardError
        }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, sink: sink) }
    }

    /// Bootstraps from `LOG_LEVEL` and `LOG_FILE` of `environment` (see ``Logger/Level/fromEnvironment(_:)``).
    public static func bootstrap(environment: [String: String]) throws(ConfigurationError) {
        try bootstrap(
            level: Logger.Level.fromEnvironment(environment),
            file: environment["LOG_FILE"].flatMap { $0.isEmpty ? nil : $0 })
    }
}

extension Logger.Level {
    /// The level `LOG_LEVEL` names: `debug`, `info` (also when unset or empty), `warning` (or `warn`), `error`, in
    /// any case.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> Logger.Level {
        switch environment["LOG_LEVEL"]?.lowercased() {
        case nil, "", "info": return .info
        case "debug": return .debug
        case "warning", "warn": return .warning
        case "error": return .error
        default:
            throw ConfigurationError(variable: "LOG_LEVEL", problem: "must be one of debug, info, warning, error")
        }
    }
}
