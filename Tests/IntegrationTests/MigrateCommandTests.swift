import Foundation
import Postgres
import Testing

/// `tenant-whatsapp migrate`, run as the real binary against a real database (one database per test).
@Suite("tenant-whatsapp migrate")
struct MigrateCommandTests {
    /// Migrator.advisoryLockKey: the bytes of "twmigrat" as a bigint (this target does not link TenantWhatsApp).
    private static let advisoryLockKey = "8392296730102751604"
    private static let waitingAdvisoryLocks = """
        SELECT count(*) AS n FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """
    private static let projectMigrations = TestEnvironment.packageRoot.appendingPathComponent("sql/migrations")

    @Test func secondRunIsANoOp() throws {
        let database = try TestPostgres.shared.createDatabase("migrate_twice")
        let first = try migrate(database)
        #expect(first.succeeded, "\(first.error)")
        #expect(first.output.contains("applied 0001_tenants.sql"))

        let postgres = try PostgresConnection(connectionString: database)
        try postgres.query("INSERT INTO tenants (id) VALUES ($1)", ["t1"])
        let tenant = try postgres.query("SELECT whatsapp_instance_name, created_at FROM tenants WHERE id = $1", ["t1"])
        #expect(tenant.first?["whatsapp_instance_name"] == nil)
        #expect(tenant.first?["created_at"] != nil)
        try postgres.query("UPDATE tenants SET whatsapp_instance_name = $1 WHERE id = $2", ["tenant_t1", "t1"])
        try postgres.query("INSERT INTO tenants (id) VALUES ($1)", ["t2"])
        let duplicate = try #require(throws: PostgresError.self) {
            try postgres.query("UPDATE tenants SET whatsapp_instance_name = $1 WHERE id = $2", ["tenant_t1", "t2"])
        }
        #expect(duplicate.sqlState == "23505")
        let historyBefore = try postgres.query("SELECT version, checksum, applied_at FROM schema_migrations").rows

        let second = try migrate(database)
        #expect(second.succeeded, "\(second.error)")
        #expect(!second.output.contains("applied 0001"))
        #expect(second.output.contains("nothing to apply"))
        #expect(try postgres.query("SELECT version, checksum, applied_at FROM schema_migrations").rows == historyBefore)
    }

    @Test func editedAppliedMigrationIsRefusedAndNothingElseApplied() throws {
        let database = try TestPostgres.shared.createDatabase("migrate_edited")
        let migrations = try copyOfProjectMigrations()
        defer { try? FileManager.default.removeItem(at: migrations) }
        #expect(try migrate(database, directory: migrations).succeeded)

        try append("\n-- edited after it was applied\n", to: migrations.appendingPathComponent("0001_tenants.sql"))
        try write("CREATE TABLE should_not_exist (id int);\n", to: migrations.appendingPathComponent("0999_new.sql"))
        let refused = try migrate(database, directory: migrations)

        #expect(!refused.succeeded)
        #expect(refused.error.contains("0001_tenants.sql"))
        #expect(refused.error.contains("changed"))
        let postgres = try PostgresConnection(connectionString: database)
        #expect(try tableExists("should_not_exist", postgres) == false)
        #expect(try appliedVersions(postgres) == (try fileNames(in: Self.projectMigrations)))
    }

    @Test func concurrentRunsBothSucceedAndApplyEachFileOnce() throws {
        let database = try TestPostgres.shared.createDatabase("migrate_concurrent")
        // Hold the migrator's lock so that both runs are provably waiting on it at the same time.
        let holder = try PostgresConnection(connectionString: database)
        try holder.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
        let runs = BackgroundRuns()
        runs.start { try migrate(database) }
        runs.start { try migrate(database) }
        try Wait.until("both migrate runs wait on the advisory lock") {
            try holder.query(Self.waitingAdvisoryLocks).first?["n"] == "2"
        }
        try holder.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
        let results = try runs.waitAll()

        #expect(results.allSatisfy { $0.succeeded }, "\(results.map(\.error))")
        #expect(results.filter { $0.output.contains("applied 0001_tenants.sql") }.count == 1)
        #expect(try appliedVersions(holder) == (try fileNames(in: Self.projectMigrations)))
    }

    @Test func failingMigrationLeavesNoPartialStateAndNamesFileAndSQLState() throws {
        let database = try TestPostgres.shared.createDatabase("migrate_failing")
        let migrations = try copyOfProjectMigrations()
        defer { try? FileManager.default.removeItem(at: migrations) }
        try write(
            "CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n",
            to: migrations.appendingPathComponent("0998_broken.sql"))

        let failed = try migrate(database, directory: migrations)

        #expect(failed.status == 1)
        #expect(failed.error.contains("0998_broken.sql"))
        #expect(failed.error.contains("42P01"))
        #expect(failed.output.contains("applied 0001_tenants.sql"))
        let postgres = try PostgresConnection(connectionString: database)
        #expect(try tableExists("half_done", postgres) == false)
        #expect(try appliedVersions(postgres) == (try fileNames(in: Self.projectMigrations)))
    }

    @Test func missingDatabaseURLIsNamedOnStderr() throws {
        let result = try migrate(nil)
        #expect(result.status != 0)
        #expect(result.error.contains("DATABASE_URL"))
        #expect(result.error.split(separator: "\n").count == 1)
    }

    @Test func unreachableDatabaseNeverPrintsThePassword() throws {
        let url = "postgresql:///db?host=/tmp/tw-no-such-dir&port=5999&user=postgres&password=s3cr3t-migrate"
        let result = try migrate(url)
        #expect(result.status == 1)
        #expect(!result.error.contains("s3cr3t"))
        #expect(!result.output.contains("s3cr3t"))
        #expect(result.error.contains("DATABASE_URL"))
    }

    // MARK: - Helpers

    /// Runs the real binary with `DATABASE_URL` set to `databaseURL` (or removed when nil).
    private func migrate(_ databaseURL: String?, directory: URL = projectMigrations) throws -> CommandResult {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        return try Subprocess.run(
            [TestEnvironment.responderBinary, "migrate", "--dir", directory.path], environment: environment)
    }

    private func copyOfProjectMigrations() throws -> URL {
        let copy = try TestEnvironment.makeScratchDirectory("migrations")
        for name in try fileNames(in: Self.projectMigrations) {
            try FileManager.default.copyItem(
                at: Self.projectMigrations.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        return copy
    }

    private func fileNames(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
    }

    private func appliedVersions(_ postgres: PostgresConnection) throws -> [String] {
        try postgres.query("SELECT version FROM schema_migrations ORDER BY version").compactMap { $0["version"] }
    }

    private func tableExists(_ name: String, _ postgres: PostgresConnection) throws -> Bool {
        try postgres.query("SELECT to_regclass($1) IS NOT NULL AS present", [name]).first?["present"] == "t"
    }

    private func write(_ text: String, to file: URL) throws {
        try Data(text.utf8).write(to: file)
    }

    private func append(_ text: String, to file: URL) throws {
        try write(String(decoding: try Data(contentsOf: file), as: UTF8.self) + text, to: file)
    }
}

/// Commands run on background threads (not the test's cooperative threads, which they would block).
private final class BackgroundRuns: @unchecked Sendable {
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var results: [Result<CommandResult, any Error>] = []

    func start(_ command: @escaping @Sendable () throws -> CommandResult) {
        group.enter()
        DispatchQueue.global().async {
            let result = Result { try command() }
            self.lock.withLock { self.results.append(result) }
            self.group.leave()
        }
    }

    func waitAll(timeoutSeconds: Int = 60) throws -> [CommandResult] {
        guard group.wait(timeout: .now() + .seconds(timeoutSeconds)) == .success else {
            throw TestFailure("background commands did not finish within \(timeoutSeconds) s")
        }
        return try lock.withLock { try results.map { try $0.get() } }
    }
}
