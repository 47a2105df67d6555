import EvolutionSimulator
import HTTPServer
import Logging

/// Installs the JSON log handler for the process, from `LOG_LEVEL` and `LOG_FILE` (as the responder reads them).
enum LogBootstrap {
    static func bootstrap(environment: [String: String]) throws(SimulatorSettingsError) {
        let level: Logger.Level
        switch environment["LOG_LEVEL"]?.lowercased() {
        case nil, "", "info": level = .info
        case "debug": level = .debug
        case "warning", "warn": level = .warning
        case "error": level = .error
        default:
            throw SimulatorSettingsError(variable: "LOG_LEVEL", problem: "must be one of debug, info, warning, error")
        }
        let sink: LogSink
        if let file = environment["LOG_FILE"], !file.isEmpty {
            guard let fileSink = LogSink.appending(toFile: file) else {
                throw SimulatorSettingsError(variable: "LOG_FILE", problem: "cannot be opened for appending")
            }
            sink = fileSink
        } else {
            sink = .standardError
        }
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level, sink: sink) }
    }
}
