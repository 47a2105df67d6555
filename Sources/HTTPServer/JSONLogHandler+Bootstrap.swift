import Logging

extension JSONLogHandler {
    /// Sends every logger of the process, as JSON lines, to `file` (appended) or to standard error. Call once,
    /// before the first logger is made. Returns false, bootstrapping nothing, when `file` cannot be opened.
    public static func bootstrap(level: Logger.Level, file: String?) -> Bool {
        let sink: LogSink
        if let file {
            guard let fileSink = LogSink.appending(toFile: file) else { return false }
            sink = fileSink
        } else {
            sink = .standardError
        }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, sink: sink) }
        return true
    }
}

extension Logger.Level {
    /// The level a `LOG_LEVEL` value names: `debug`, `info` (also when unset or empty), `warning` (or `warn`),
    /// `error`, in any case; nil for anything else.
    public init?(environmentValue value: String?) {
        switch value?.lowercased() {
        case nil, "", "info": self = .info
        case "debug": self = .debug
        case "warning", "warn": self = .warning
        case "error": self = .error
        default: return nil
        }
    }
}
