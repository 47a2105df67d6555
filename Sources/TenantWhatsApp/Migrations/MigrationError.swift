import Postgres

/// Why `migrate` stopped. `code` is stable for scripts; `description` is one safe line that names the file
/// and carries the SQLSTATE where there is one (never the connection string).
public enum MigrationError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The migrations directory could not be listed.
    case unreadableDirectory(path: String)
    /// A migration file could not be read, or is not UTF-8 text.
    case unreadableFile(file: String)
    /// The database could not be reached, or the connection broke outside a migration.
    case databaseUnavailable(PostgresError)
    /// A statement of the migrator's own (lock, `schema_migrations`, checksum) failed.
    case bookkeepingFailed(PostgresError)
    /// A file that was already applied has changed since; nothing was applied.
    case changedAfterApply(file: String)
    /// A migration failed and was rolled back; the migrations before it stay applied.
    case failed(file: String, PostgresError)

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .unreadableDirectory: "unreadable_directory"
        case .unreadableFile: "unreadable_file"
        case .databaseUnavailable: "database_unavailable"
        case .bookkeepingFailed: "bookkeeping_failed"
        case .changedAfterApply: "changed_after_apply"
        case .failed: "migration_failed"
        }
    }

    /// The PostgreSQL error behind this one, if any.
    public var postgresError: PostgresError? {
        switch self {
        case .databaseUnavailable(let error), .bookkeepingFailed(let error), .failed(_, let error): error
        case .unreadableDirectory, .unreadableFile, .changedAfterApply: nil
        }
    }

    /// One line, safe to log.
    public var description: String {
        switch self {
        case .unreadableDirectory(let path):
            "\(code): cannot list the migrations directory \(path)"
        case .unreadableFile(let file):
            "\(code): cannot read \(file) as UTF-8 text"
        case .databaseUnavailable(let error):
            "\(code): \(error)"
        case .bookkeepingFailed(let error):
            "\(code): schema_migrations bookkeeping failed: \(error)"
        case .changedAfterApply(let file):
            "\(code): \(file) was changed after it was applied; refusing to migrate"
                + " (restore the file and add a new migration instead)"
        case .failed(let file, let error):
            "\(code): \(file) failed and was rolled back: \(error)"
        }
    }

    /// `description` with the server's detail and hint.
    public var debugDescription: String {
        guard let postgresError else { return description }
        return description + (postgresError.detail.map { " detail: " + $0 } ?? "")
            + (postgresError.hint.map { " hint: " + $0 } ?? "")
    }
}
