import ArgumentParser
import TenantWhatsApp

/// `tenant-whatsapp servers …`: the registry of Evolution servers (docs/servers.md).
///
/// Bad input (an unknown or duplicate id, a bad URL, capacity 0, an empty key, a key on the command line, a server
/// that refuses the key) is one line on stderr and exit 2, with nothing written; PostgreSQL or `SECRETS_KEY` failing
/// is one line and exit 1. The API key is read from `--key-file` or standard input, never from the command line
/// (where `ps` would show it), and is never printed.
struct ServersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servers",
        abstract: "Register and manage the Evolution servers tenants are placed on.",
        subcommands: [
            ServersAddCommand.self, ServersListCommand.self, ServersSetCommand.self, ServersDrainCommand.self,
            ServersActivateCommand.self, ServersDisableCommand.self, ServersRemoveCommand.self,
        ]
    )
}

/// `tenant-whatsapp servers add ID --url URL --capacity N [--key-file PATH] [--no-check]`.
struct ServersAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Register an Evolution server (its API key from --key-file or standard input).",
        discussion: """
            Before the row is written, the URL and key must answer an authenticated call (GET \
            /instance/fetchInstances); --no-check skips it. Needs SECRETS_KEY: the key is stored encrypted.
            """
    )

    @Argument(help: "The server's id: lower-case letters, digits and '-', at most 32 (e.g. evo-2).")
    var id: String

    @Option(name: .long, help: "The server's base URL (http:// or https://).")
    var url: String

    @Option(name: .long, help: "The most tenants (instances) it may hold.")
    var capacity: Int

    @Option(name: .long, help: "A file holding the API key (default: read it from standard input).")
    var keyFile: String?

    @Option(name: .long, help: .hidden)
    var key: String?

    @Flag(name: .long, help: "Do not call the server before registering it.")
    var noCheck = false

    func run() throws {
        let context = try ServersContext.load(command: "servers add")
        let apiKey = try context.apiKey(fromFile: keyFile, argument: key)
        try context.perform { administration throws(ServerAdministrationError) in
            try administration.add(id: id, url: url, capacity: capacity, apiKey: apiKey, check: !noCheck)
        }
        print("registered Evolution server \(id) (\(capacity) tenants at most)")
    }
}

/// `tenant-whatsapp servers set ID [--url URL] [--capacity N] [--key-file PATH] [--no-check]`.
struct ServersSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change a server's URL, capacity or key (a new key from --key-file).",
        discussion: """
            A lower capacity than what is placed is allowed: the server then gets no placement until it has room. \
            A new URL or key is checked with an authenticated call first (--no-check skips it).
            """
    )

    @Argument(help: "The server's id.")
    var id: String

    @Option(name: .long, help: "A new base URL.")
    var url: String?

    @Option(name: .long, help: "A new capacity.")
    var capacity: Int?

    @Option(name: .long, help: "A file holding a new API key.")
    var keyFile: String?

    @Option(name: .long, help: .hidden)
    var key: String?

    @Flag(name: .long, help: "Do not call the server before changing it.")
    var noCheck = false

    func run() throws {
        let context = try ServersContext.load(command: "servers set")
        let apiKey = try keyFile.map { (file) throws in try context.apiKey(fromFile: file, argument: key) }
        if key != nil, keyFile == nil { _ = try context.apiKey(fromFile: nil, argument: key) }
        try context.perform { administration throws(ServerAdministrationError) in
            try administration.set(id: id, url: url, capacity: capacity, apiKey: apiKey, check: !noCheck)
        }
        print("changed Evolution server \(id)")
    }
}

/// `tenant-whatsapp servers remove ID`.
struct ServersRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a server; refused while a tenant is placed on it.")

    @Argument(help: "The server's id.")
    var id: String

    func run() throws {
        let context = try ServersContext.load(command: "servers remove")
        try context.perform { administration throws(ServerAdministrationError) in try administration.remove(id: id) }
        print("removed Evolution server \(id)")
    }
}
