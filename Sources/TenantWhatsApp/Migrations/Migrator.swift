import Postgres

/// Applies the `*.sql` files of a directory in name order, each once, each in its own transaction, recorded
/// in `schema_migrations` with the SHA-256 of its bytes.
///
/// The whole run holds a session advisory lock, so concurrent runs (two deploys, two hosts) are safe: the
/// second waits, then finds everything applied. A file already applied whose bytes changed stops the run
/// before anything is applied. Files must not contain their own `BEGIN`/`COMMIT`: the migrator wraps each.
public struct Migrator {
    /// The `pg_advisory_lock` key held during a run: the bytes of "twmigrat" as a bigint.
    public static let advisoryLockKey: Int64 = 0x7477_6D69_6772_6174

    private let connection: PostgresConnection

    /// A migrator working through `connection` (which it leaves idle and unlocked after each run).
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Applies every pending file of `directory` and reports what it did. Running it again is a no-op.
    ///
    /// `onApplied` is called with each file name as soon as its transaction committed, so a caller can show
    /// progress that stays true even when a later file fails.
    public func migrate(
        directory: String, onApplied: (String) -> Void = { _ in }
    ) throws(MigrationError) -> MigrationReport {
        let files = try MigrationFile.all(in: directory)
        try bookkeeping { connection throws(PostgresError) in
            try connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
        }
        defer {
            // On a lost connection the lock is already gone with the server session.
            _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
        }
        try bookkeeping { connection throws(PostgresError) in try connection.execute(script: Self.createHistoryTable) }
        let pending = try pendingMigrations(among: files)
        for migration in pending {
            try apply(migration.file, checksum: migration.checksum)
            onApplied(migration.file.name)
        }
        return MigrationReport(applied: pending.map(\.file.name), alreadyAppliedCount: files.count - pending.count)
    }

    /// The files not applied yet, with their checksums; throws if an applied file has changed since.
    private func pendingMigrations(
        among files: [MigrationFile]
    ) throws(MigrationError) -> [(file: MigrationFile, checksum: String)] {
        let applied = try appliedChecksums()
        var pending: [(file: MigrationFile, checksum: String)] = []
        for file in files {
            let checksum = try checksum(of: file)
            if let appliedChecksum = applied[file.name] {
                guard appliedChecksum == checksum else { throw .changedAfterApply(file: file.name) }
            } else {
                pending.append((file, checksum))
            }
        }
        return pending
    }

    private static let createHistoryTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version text PRIMARY KEY,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// Versions already applied, with the checksum each had then.
    private func appliedChecksums() throws(MigrationError) -> [String: String] {
        let rows = try bookkeeping { connection throws(PostgresError) in
            try connection.query("SELECT version, checksum FROM schema_migrations")
        }
        var checksums: [String: String] = [:]
        for row in rows {
            if let version = row["version"], let checksum = row["checksum"] { checksums[version] = checksum }
        }
        return checksums
    }

    /// SHA-256 of the file's bytes as lowercase hex, computed by PostgreSQL (no crypto code of our own).
    private func checksum(of file: MigrationFile) throws(MigrationError) -> String {
        let rows = try bookkeeping { connection throws(PostgresError) in
            try connection.query("SELECT encode(sha256(decode($1, 'hex')), 'hex') AS checksum", [file.hexBytes])
        }
        guard let checksum = rows.first?["checksum"] else {
            throw .bookkeepingFailed(PostgresError(kind: .queryFailed, message: "sha256() returned no row"))
        }
        return checksum
    }

    /// Runs the file and records it in one transaction; any failure rolls both back.
    private func apply(_ file: MigrationFile, checksum: String) throws(MigrationError) {
        do {
            try connection.transaction { connection throws(PostgresError) in
                try connection.execute(script: file.sql)
                guard connection.isInTransaction else {
                    throw PostgresError(
                        kind: .queryFailed, message: "the file ended the migration's transaction itself (COMMIT?)")
                }
                try connection.query(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", [file.name, checksum])
            }
        } catch {
            throw .failed(file: file.name, error)
        }
    }

    /// Runs one of the migrator's own statements, classifying its failure.
    @discardableResult
    private func bookkeeping<T>(
        _ body: (PostgresConnection) throws(PostgresError) -> T
    ) throws(MigrationError) -> T {
        do {
            return try body(connection)
        } catch {
            throw error.isConnectionLoss ? .databaseUnavailable(error) : .bookkeepingFailed(error)
        }
    }
}
