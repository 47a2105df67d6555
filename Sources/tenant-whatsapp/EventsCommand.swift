import ArgumentParser
import JSON
import Postgres
import Runtime
import TenantWhatsApp

/// `tenant-whatsapp events …`: the outbox of events to the SaaS backend (docs/event-webhooks.md, "Operations").
/// Reads only `DATABASE_URL`.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "The events to the SaaS backend: list, retry, resume after a 410, purge.",
        subcommands: [
            EventsListCommand.self, EventsRetryCommand.self, EventsResumeCommand.self, EventsPurgeCommand.self,
        ]
    )

    /// The outbox of `DATABASE_URL`; unset, one line and exit 1.
    static func administration(command: String) throws -> EventOutboxAdministration {
        guard let databaseURL = ProcessEnvironment.current()["DATABASE_URL"], !databaseURL.isEmpty else {
            throw fail(command, "DATABASE_URL is not set")
        }
        return EventOutboxAdministration(
            pool: PostgresPool(connectionString: databaseURL, size: 1, borrowTimeout: .seconds(10)))
    }

    /// Runs `body`; a PostgreSQL failure is one line and exit 1.
    static func perform<Result>(
        _ command: String, _ body: () throws(PostgresError) -> Result
    ) throws -> Result {
        do {
            return try body()
        } catch {
            throw fail(command, error.description)
        }
    }

    static func fail(_ command: String, _ message: String, exitCode: Int32 = 1) -> ExitCode {
        writeToStandardError("tenant-whatsapp \(command): \(message)")
        return ExitCode(exitCode)
    }
}

/// `tenant-whatsapp events list [--tenant ID] [--dead] [--limit N] [--json]`.
struct EventsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The newest events, oldest first: type, state, attempts, last failure.")

    @Option(name: .long, help: "Only this tenant's events.")
    var tenant: String?

    @Flag(name: .long, help: "Only dead events (every attempt failed).")
    var dead = false

    @Option(name: .long, help: "How many of the newest events (default 100, at most 10000).")
    var limit = 100

    @Flag(name: .long, help: "Print one JSON document instead of a table.")
    var json = false

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
    }

    func run() throws {
        let administration = try EventsCommand.administration(command: "events list")
        let (rows, pause) = try EventsCommand.perform("events list") { () throws(PostgresError) in
            (try administration.list(tenant: tenant, deadOnly: dead, limit: limit), try administration.pause())
        }
        if json {
            let paused: JSONValue =
                pause.map { ["since": .string($0.since), "eventId": .string(orNull: $0.eventID)] } ?? .null
            print(JSONValue.object([("paused", paused), ("events", .array(rows.map(Self.json)))]).serializedString())
            return
        }
        if let pause {
            print("DELIVERY PAUSED since \(pause.since) (410 Gone): run `tenant-whatsapp events resume`")
        }
        print(Self.table(rows))
    }

    static func json(_ row: EventOutboxRow) -> JSONValue {
        [
            "id": .string(row.eventID), "type": .string(row.type), "tenantId": .string(row.tenantID),
            "status": .string(row.status), "reason": .string(orNull: row.reason), "state": .string(row.state),
            "attempts": .integer(row.attempts), "createdAt": .string(row.createdAt),
            "nextAttemptAt": .string(orNull: row.nextAttemptAt), "finishedAt": .string(orNull: row.finishedAt),
            "lastStatus": row.lastStatus.map { .integer($0) } ?? .null, "lastError": .string(orNull: row.lastError),
        ]
    }

    static func table(_ rows: [EventOutboxRow]) -> String {
        let header = ["ID", "TYPE", "TENANT", "STATE", "ATTEMPTS", "CREATED", "NEXT / FINISHED", "LAST"]
        return TextTable.render(
            header: header,
            rows: rows.map { row in
                [
                    row.eventID, row.type, row.tenantID, row.state, String(row.attempts), row.createdAt,
                    row.nextAttemptAt ?? row.finishedAt ?? "-",
                    row.lastError ?? row.lastStatus.map { String($0) } ?? "-",
                ]
            })
    }
}

/// `tenant-whatsapp events retry ID|--dead`.
struct EventsRetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Queue an event again (by its id), or every dead event (--dead), due now.")

    @Argument(help: "The event's id (webhook-id), as `events list` shows it.")
    var id: String?

    @Flag(name: .long, help: "Every dead event.")
    var dead = false

    func validate() throws {
        guard (id == nil) != (!dead) else { throw ValidationError("give either an event id or --dead") }
    }

    func run() throws {
        let administration = try EventsCommand.administration(command: "events retry")
        if let id {
            let found = try EventsCommand.perform("events retry") { () throws(PostgresError) in
                try administration.retry(eventID: id)
            }
            guard found else { throw EventsCommand.fail("events retry", "no event \(id)") }
            print("queued \(id)")
        } else {
            let count = try EventsCommand.perform("events retry") { () throws(PostgresError) in
                try administration.retryDead()
            }
            print("queued \(count) dead event\(count == 1 ? "" : "s")")
        }
    }
}

/// `tenant-whatsapp events resume`.
struct EventsResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Deliver again after the endpoint answered 410 Gone.")

    func run() throws {
        let administration = try EventsCommand.administration(command: "events resume")
        let pause = try EventsCommand.perform("events resume") { () throws(PostgresError) in
            try administration.resume()
        }
        if let pause {
            print("delivery resumed (paused since \(pause.since))")
        } else {
            print("delivery was not paused")
        }
    }
}

/// `tenant-whatsapp events purge [--older-than DURATION]`.
struct EventsPurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Delete delivered and dead events finished longer ago than --older-than.")

    @Option(name: .long, help: "90s, 30m, 24h, 7d (default 7d). Pending events are never purged.")
    var olderThan = "7d"

    func validate() throws {
        guard ReconcileOptions.duration(olderThan) != nil else {
            throw ValidationError("--older-than must be a whole number with s, m, h or d (e.g. 24h, 7d)")
        }
    }

    func run() throws {
        let administration = try EventsCommand.administration(command: "events purge")
        let age = ReconcileOptions.duration(olderThan) ?? EventOutboxAdministration.defaultRetention
        let count = try EventsCommand.perform("events purge") { () throws(PostgresError) in
            try administration.purge(olderThan: age)
        }
        print("purged \(count) event\(count == 1 ? "" : "s")")
    }
}
