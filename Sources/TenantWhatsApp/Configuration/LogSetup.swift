import HTTPServer
import Logging

/// Installs the JSON log handler for the whole process. Call exactly once, before the first logger is made.
public enum LogSetup {
    /// Sends every logger's lines, as JSON, to `file` (appended) or to standard error.
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
}
