import ArgumentParser
import Runtime

/// The `tenant-whatsapp` executable: `serve` (the FastCGI responder), `migrate` (the SQL migrations), `reconcile`,
/// `servers` (the Evolution servers), `secrets` and `events` (the events to the SaaS backend).
///
/// A command line that does not parse is one line on stderr (with the usage) and exit 2, the usual code for usage
/// errors, as the commands' own bad input.
@main
struct TenantWhatsAppCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant-whatsapp",
        abstract: "Per-tenant WhatsApp connections through the Evolution API, as a FastCGI responder behind nginx.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, ReconcileCommand.self, ServersCommand.self, SecretsCommand.self,
            EventsCommand.self,
        ]
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                writeToStandardError(fullMessage(for: error))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}
