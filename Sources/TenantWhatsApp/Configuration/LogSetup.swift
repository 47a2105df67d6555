import HTTPServer
import Logging

/// Installs the JSON log handler for the whole process. Call exactly once, before the first logger is made.
public enum LogSetup {
    /// Sends every logger's lines, as JSON, to `file` (appended) or to standard error.
    public static func bootstrap(level: Logger.Level, file: String?) throws(ConfigurationError) {
        guard JSONLogHandler.bootstrap(level: level, file: file) else {
            throw ConfigurationError(variable: "LOG_FILE", problem: "cannot be opened for appending")
        }
    }
}
