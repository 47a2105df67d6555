import ArgumentParser
import HTTPServer
import Postgres
import Runtime
import TenantWhatsApp

/// `tenant-whatsapp migrate`: applies the pending SQL migrations to the database named by `DATABASE_URL`.
///
/// Prints one line per applied file and a summary on stdout. Any failure is one line on stderr and exit
/// code 1. The connection string is never printed.
struct MigrateCommand: ParsableCommand {
    /// The subcommand's name and help.
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending SQL migrations to DATABASE_URL, each in a transaction; a second run is a no-op.")

    /// The folder holding the `*.sql` files.
    @Option(name: .long, help: "The folder holding the *.sql migration files, applied in name order.")
    var dir: String = "sql/migrations"

    /// Connects, migrates, reports.
    func run() throws {
        guard let connectionString = ProcessEnvironment.current()["DATABASE_URL"], !connectionString.isEmpty else {
            throw fail("DATABASE_URL is not set (or empty): give it the libpq connection string or URI of the database")
        }
        let connection: PostgresConnection
        do {
            connection = try Self.connect(connectionString)
        } catch {
            throw fail("cannot connect to the database in DATABASE_URL: \(error)")
        }
        do {
            let report = try Migrator(connection: connection).migrate(directory: dir) { print("applied \($0)") }
            print(summary(of: report))
        } catch {
            throw fail("\(error)")
        }
    }

    /// Connects, trying again twice when the server did not answer within libpq's `connect_timeout` (a server
    /// still starting, or one busy forking backends, as at deploy time); any other failure is final at once.
    private static func connect(_ connectionString: String) throws(PostgresError) -> PostgresConnection {
        var attempt = 1
        while true {
            do {
                return try PostgresConnection(connectionString: connectionString)
            } catch {
                guard attempt < 3, error.kind == .connectionFailed, error.message.contains("timeout expired") else {
                    throw error
                }
                writeToStandardError("tenant-whatsapp migrate: connecting timed out; trying again")
                attempt += 1
            }
        }
    }

    private func summary(of report: MigrationReport) -> String {
        if report.applied.isEmpty {
            return "nothing to apply: 0 applied, \(report.alreadyAppliedCount) already applied"
        }
        return "\(report.applied.count) applied, \(report.alreadyAppliedCount) already applied"
    }

    /// Writes `message` as one line on stderr and returns the exit code to throw.
    private func fail(_ message: String) -> ExitCode {
        writeToStandardError("tenant-whatsapp migrate: " + message.replacing("\n", with: " "))
        return ExitCode(1)
    }
}
