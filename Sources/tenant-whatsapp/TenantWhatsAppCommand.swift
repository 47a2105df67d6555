import ArgumentParser

/// The `tenant-whatsapp` executable: `serve` (the FastCGI responder), `migrate` (the SQL migrations) and `reconcile`.
@main
struct TenantWhatsAppCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant-whatsapp",
        abstract: "Per-tenant WhatsApp connections through the Evolution API, as a FastCGI responder behind nginx.",
        subcommands: [ServeCommand.self, MigrateCommand.self, ReconcileCommand.self]
    )
}
