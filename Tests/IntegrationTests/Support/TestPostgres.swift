import Foundation

/// A throwaway PostgreSQL cluster for the tests, of the newest version installed: its own data folder and unix socket
/// under /tmp, no TCP, `trust` authentication, `fsync=off`. Runs as the `postgres` user when the tests run as root.
///
/// Each cluster has a database `tenant_whatsapp`; tests that share ``shared`` take their own database with
/// ``createDatabase(_:)`` so they stay isolated.
final class TestPostgres: @unchecked Sendable {
    /// The server binaries of the newest PostgreSQL installed: Debian keeps them off PATH, in
    /// `/usr/lib/postgresql/<major>/bin`; the highest version with `initdb` and `pg_ctl` is taken, as the stack tool
    /// does (`scripts/twstack/postgres.py`). Nil when there is none.
    static let installedBinDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let installed = versions.filter { version in
            ["initdb", "pg_ctl"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/\($0)")
            }
        }
        return installed.max { $0.compare($1, options: .numeric) == .orderedAscending }.map { "\(root)/\($0)/bin" }
    }()

    /// The path of PostgreSQL's program `name` (`psql`, `initdb`, `pg_ctl`); throws when no PostgreSQL is installed.
    static func program(_ name: String) throws -> String {
        guard let directory = installedBinDirectory else {
            throw TestFailure(
                "no PostgreSQL server in /usr/lib/postgresql/<version>/bin: install the Debian package postgresql"
                    + " (scripts/test does)")
        }
        return "\(directory)/\(name)"
    }

    /// One cluster for the whole test process, started on first use and stopped at process exit.
    /// For tests that neither stop nor restart it.
    static let shared: TestPostgres = {
        do {
            let cluster = try TestPostgres.start(label: "shared")
            atexit(shutDownSharedTestPostgres)
            return cluster
        } catch {
            fatalError("the shared test PostgreSQL did not start: \(error)")
        }
    }()

    /// The scratch folder: data in `data/`, the socket and the server log directly inside.
    let directory: URL
    /// The port; with `listen_addresses=''` it only names the socket file (`.s.PGSQL.<port>`).
    let port: Int
    private let lock = NSLock()
    private var isRunning = false
    private var databaseCounter = 0

    private var dataDirectory: String { directory.appendingPathComponent("data").path }
    private var socketDirectory: String { directory.path }

    /// A fresh cluster with a database `tenant_whatsapp`, running.
    static func start(label: String) throws -> TestPostgres {
        let cluster = try TestPostgres(directory: TestEnvironment.makeScratchDirectory("pg-\(label)"))
        do {
            try cluster.initialize()
            try cluster.restart()
            _ = try cluster.psql("CREATE DATABASE tenant_whatsapp", database: "postgres")
        } catch {
            cluster.shutdown()
            throw error
        }
        return cluster
    }

    private init(directory: URL) throws {
        self.directory = directory
        self.port = try TestEnvironment.freeLoopbackPort()
    }

    deinit {
        shutdown()
    }

    /// The libpq URL of the `tenant_whatsapp` database.
    var databaseURL: String { url(of: "tenant_whatsapp") }

    /// The libpq URL of database `name` on this cluster (unix socket, user `postgres`, no password).
    func url(of name: String) -> String {
        "postgresql:///\(name)?host=\(socketDirectory)&port=\(port)&user=postgres"
    }

    /// Creates a new, empty database whose name starts with `label`, and returns its URL.
    func createDatabase(_ label: String) throws -> String {
        let name = lock.withLock {
            databaseCounter += 1
            return "\(label.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" })_\(databaseCounter)"
        }
        _ = try psql("CREATE DATABASE \(name)", database: "postgres")
        return url(of: name)
    }

    /// Runs `sql` with `psql -At -v ON_ERROR_STOP=1` and returns its output; throws on any error.
    @discardableResult
    func psql(_ sql: String, database: String = "tenant_whatsapp") throws -> String {
        let result = try Subprocess.run(
            [
                try Self.program("psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory,
                "-p", "\(port)", "-U", "postgres", "-d", database, "-f", "-",
            ], input: sql)
        guard result.succeeded else {
            throw TestFailure("psql failed (\(result.status)) on \(sql): \(result.error)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server (`pg_ctl stop -m fast -w`): connected sessions are terminated.
    func stop() throws {
        try lock.withLock {
            guard isRunning else { return }
            try Subprocess.check(Subprocess.asPostgresUser(try pgCtl(["stop", "-m", "fast", "-w"])))
            isRunning = false
        }
    }

    /// Starts the server again on the same data folder, socket and port; returns once it accepts connections.
    func restart() throws {
        try lock.withLock {
            guard !isRunning else { return }
            let options = "-k \(socketDirectory) -p \(port) -c listen_addresses='' -c fsync=off"
            let log = directory.appendingPathComponent("postgres.log").path
            let arguments = Subprocess.asPostgresUser(try pgCtl(["start", "-w", "-l", log, "-o", options]))
            let pgCtlOutput = directory.appendingPathComponent("pg_ctl.out").path
            let status = try Subprocess.runStartingDaemon(arguments, outputFile: pgCtlOutput)
            guard status == 0 else {
                let output = (try? String(contentsOfFile: pgCtlOutput, encoding: .utf8)) ?? ""
                let serverLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw TestFailure("pg_ctl start exited \(status): \(output) \(serverLog.suffix(2000))")
            }
            isRunning = true
        }
    }

    /// Stops the server if it runs and removes the scratch folder; errors are ignored (best effort at exit).
    func shutdown() {
        try? stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private func initialize() throws {
        if TestEnvironment.isRoot {
            // The server refuses to run as root; the folder must belong to the user it runs as.
            try Subprocess.check(["/bin/chown", "postgres:postgres", directory.path])
        }
        try Subprocess.check(
            Subprocess.asPostgresUser([
                try Self.program("initdb"), "-D", dataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync",
            ]))
    }

    private func pgCtl(_ arguments: [String]) throws -> [String] {
        [try Self.program("pg_ctl"), "-D", dataDirectory] + arguments
    }
}

/// Stops the shared cluster at process exit; a free C function, as `atexit` needs.
private func shutDownSharedTestPostgres() {
    TestPostgres.shared.shutdown()
}
