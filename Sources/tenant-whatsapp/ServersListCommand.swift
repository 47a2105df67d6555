import ArgumentParser
import JSON
import TenantWhatsApp

/// `tenant-whatsapp servers list [--json]`: every server with its state, capacity and tenants; never a key.
struct ServersListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every server: state, capacity, tenants placed, of which open and connecting (never the key).")

    @Flag(name: .long, help: "Print one JSON document instead of a table.")
    var json = false

    func run() throws {
        let context = try ServersContext.load(command: "servers list")
        let rows = try context.perform { administration throws(ServerAdministrationError) in
            try administration.list(implicitDefaultURL: context.implicitDefaultURL)
        }
        print(json ? Self.json(rows).serializedString() : Self.table(rows))
    }

    static func json(_ rows: [EvolutionServerRow]) -> JSONValue {
        .array(
            rows.map { row in
                [
                    "id": .string(row.id.rawValue), "url": .string(row.baseURL), "state": .string(row.state.rawValue),
                    "capacity": row.isImplicit ? .null : .integer(row.capacity), "registered": .bool(!row.isImplicit),
                    "placed": .integer(row.placed), "open": .integer(row.open), "connecting": .integer(row.connecting),
                ]
            })
    }

    static func table(_ rows: [EvolutionServerRow]) -> String {
        let header = ["ID", "STATE", "CAPACITY", "PLACED", "OPEN", "CONNECTING", "URL"]
        return TextTable.render(
            header: header,
            rows: rows.map { row in
                [
                    row.id.rawValue, row.state.rawValue + (row.isImplicit ? " (EVOLUTION_API_URL)" : ""),
                    row.isImplicit ? "-" : String(row.capacity), String(row.placed), String(row.open),
                    String(row.connecting), row.baseURL,
                ]
            })
    }
}
