import ArgumentParser
import Runtime
import StructuredLogging
import TenantWhatsApp

extension Configuration {
    /// The configuration of a command that serves or acts (`serve`, `reconcile`): read from the environment, with
    /// the logs bootstrapped from it. A bad variable is one line on stderr, prefixed with `command`, and exit 1.
    static func loadForCommand(_ command: String) throws -> Configuration {
        do {
            let configuration = try Configuration.load(from: ProcessEnvironment.current())
            try JSONLogHandler.bootstrap(level: configuration.logLevel, file: configuration.logFile)
            return configuration
        } catch {
            writeToStandardError("tenant-whatsapp \(command): \(error.description)")
            throw ExitCode.failure
        }
    }
}
