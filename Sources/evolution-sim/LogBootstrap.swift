import EvolutionSimulator
import HTTPServer
import Logging

/// Installs the JSON log handler for the process, from `LOG_LEVEL` and `LOG_FILE` (as the responder reads them).
enum LogBootstrap {
    static func bootstrap(environment: [String: String]) throws(SimulatorSettingsError) {
        guard let level = Logger.Level(environmentValue: environment["LOG_LEVEL"]) else {
            throw SimulatorSettingsError(variable: "LOG_LEVEL", problem: "must be one of debug, info, warning, error")
        }
        let file = environment["LOG_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        guard JSONLogHandler.bootstrap(level: level, file: file) else {
            throw SimulatorSettingsError(variable: "LOG_FILE", problem: "cannot be opened for appending")
        }
    }
}
