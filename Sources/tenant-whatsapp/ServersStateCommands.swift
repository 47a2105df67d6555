import ArgumentParser
import TenantWhatsApp

/// `tenant-whatsapp servers drain ID`.
struct ServersDrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "No new placement on the server; its tenants keep being served.")

    @Argument(help: "The server's id.")
    var id: String

    func run() throws { try ServersContext.move(id, to: .draining, command: "servers drain") }
}

/// `tenant-whatsapp servers activate ID`.
struct ServersActivateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activate", abstract: "Place new tenants on the server again (while it has room).")

    @Argument(help: "The server's id.")
    var id: String

    func run() throws { try ServersContext.move(id, to: .active, command: "servers activate") }
}

/// `tenant-whatsapp servers disable ID`.
struct ServersDisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Make no call to the server: its tenants get 503, their disconnect succeeds (deleted later).")

    @Argument(help: "The server's id.")
    var id: String

    func run() throws { try ServersContext.move(id, to: .disabled, command: "servers disable") }
}
