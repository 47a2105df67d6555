import ArgumentParser
import TenantWhatsApp

/// `tenant-whatsapp secrets rotate`: reseals every stored secret under the current `SECRETS_KEY`.
struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Manage the secrets stored encrypted in PostgreSQL.",
        subcommands: [SecretsRotateCommand.self])
}

/// `tenant-whatsapp secrets rotate`.
struct SecretsRotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Re-encrypt every stored secret under SECRETS_KEY (old ones opened with SECRETS_KEY_PREVIOUS).",
        discussion: """
            Rotation: set SECRETS_KEY to a new key and SECRETS_KEY_PREVIOUS to the old one on every responder, run \
            this once, then drop SECRETS_KEY_PREVIOUS (see docs/servers.md).
            """)

    func run() throws {
        let context = try ServersContext.load(command: "secrets rotate")
        let resealed = try context.perform { administration throws(ServerAdministrationError) in
            try administration.rotate()
        }
        print("resealed the secrets of \(resealed) server(s) under the current SECRETS_KEY")
    }
}
