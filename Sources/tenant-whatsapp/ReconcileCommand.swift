import ArgumentParser
import Logging
import Postgres
import Runtime
import StructuredLogging
import TenantWhatsApp

/// `tenant-whatsapp reconcile`: brings PostgreSQL and Evolution into agreement, with the same environment as `serve`.
///
/// One line per action and a line of totals on stdout (`--json`: one JSON document instead). Exit 0 when it ran,
/// even with skipped or failed actions (the next run retries them); 1 when Evolution's instances or the tenants
/// could not be listed, or the configuration is wrong.
struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Bring PostgreSQL and Evolution into agreement: stale names, orphans, never-connected instances.",
        discussion: """
            Only instances named tenant_{tenantId} are considered. Every change to a tenant takes that tenant's \
            operation lock first (a busy tenant is skipped); an open instance is never deleted. Run it every 15 \
            minutes (see README).
            """
    )

    @Flag(name: .long, help: "Print what would be done; change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print one JSON document instead of lines.")
    var json = false

    @Option(
        name: .long, help: "Age after which a never-connected instance is deleted: 90s, 30m, 24h, 7d (default 24h).")
    var staleAfter = "24h"

    @Flag(name: .long, help: "Also delete instances named tenant_{id} whose tenant does not exist.")
    var deleteUnknownTenants = false

    @Option(name: .long, help: "Reconcile only this Evolution server (see `servers list`).")
    var server: String?

    func validate() throws {
        guard ReconcileOptions.duration(staleAfter) != nil else {
            throw ValidationError("--stale-after must be a whole number with s, m, h or d (e.g. 90s, 24h)")
        }
        if let server, EvolutionServerID(server) == nil {
            throw ValidationError("--server must be a server id: lower-case letters, digits and '-', at most 32")
        }
    }

    func run() throws {
        let configuration = try Configuration.loadForCommand("reconcile")
        let logger = Logger(label: "tenant-whatsapp-reconcile")
        let pool = PostgresPool(
            connectionString: configuration.databaseURL, size: 2, borrowTimeout: .seconds(5),
            sessionSettings: configuration.sessionSettings)
        let options = ReconcileOptions(
            dryRun: dryRun, staleAfter: ReconcileOptions.duration(staleAfter) ?? .seconds(86_400),
            deleteUnknownTenants: deleteUnknownTenants)
        let report: ReconcileReport
        let publisher = ReconcilePublisher(configuration: configuration, logger: logger)
        defer { publisher.finish() }
        do {
            report = try Reconciler(
                configuration: configuration, pool: pool, logger: logger, only: server.flatMap(EvolutionServerID.init),
                publisher: publisher
            ).run(options)
        } catch {
            logger.error("reconcile could not run", metadata: ["error": .string("\(error)")])
            writeToStandardError("tenant-whatsapp reconcile: \(error)")
            throw ExitCode.failure
        }
        var totals: Logger.Metadata = ["dryRun": .stringConvertible(dryRun)]
        for (kind, count) in report.totals { totals[kind.rawValue] = .stringConvertible(count) }
        logger.info("reconciled", metadata: totals)
        print(json ? report.jsonText : report.text)
    }
}
