import ArgumentParser
import Postgres
import Runtime
import Secrets
import TenantWhatsApp

/// What the `servers` and `secrets` commands read from the environment: `DATABASE_URL`, `SECRETS_KEY` (and
/// `SECRETS_KEY_PREVIOUS`), `EVOLUTION_TIMEOUT_MS` and `EVOLUTION_API_URL` (shown as the implicit `default`). No JWT
/// setting is needed.
struct ServersContext {
    let command: String
    let administration: EvolutionServerAdministration
    let implicitDefaultURL: String?

    /// The context of `command`; a missing `DATABASE_URL` or a bad `SECRETS_KEY` is one line and exit 1.
    static func load(command: String) throws -> ServersContext {
        let environment = ProcessEnvironment.current()
        guard let databaseURL = environment["DATABASE_URL"], !databaseURL.isEmpty else {
            throw fail(command, "DATABASE_URL is not set", exitCode: 1)
        }
        let secrets: SecretBox?
        let timeout: Int
        do {
            secrets = try Configuration.secretsFromEnvironment(environment)
            timeout = try Configuration.evolutionTimeoutFromEnvironment(environment)
        } catch {
            throw fail(command, error.description, exitCode: 1)
        }
        let pool = PostgresPool(connectionString: databaseURL, size: 1, borrowTimeout: .seconds(10))
        return ServersContext(
            command: command,
            administration: EvolutionServerAdministration(pool: pool, secrets: secrets, timeoutMilliseconds: timeout),
            implicitDefaultURL: environment["EVOLUTION_API_URL"].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Runs `body`; its failure is one line and exit 2 (bad input) or 1.
    func perform<Result>(
        _ body: (EvolutionServerAdministration) throws(ServerAdministrationError) -> Result
    ) throws -> Result {
        do {
            return try body(administration)
        } catch {
            throw Self.fail(command, error.description, exitCode: error.exitCode)
        }
    }

    /// The API key: the file's contents, or standard input's, surrounding whitespace stripped. A key given on the
    /// command line (`--key`) is refused: `ps` and shell histories would show it.
    func apiKey(fromFile path: String?, argument: String?) throws -> String {
        guard argument == nil else {
            throw Self.fail(
                command, "the API key is read from --key-file or standard input, never from the command line",
                exitCode: 2)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path: path ?? "/dev/stdin", limit: 64 * 1024)
        } catch {
            throw Self.fail(command, "cannot read the API key from \(path ?? "standard input"): \(error)", exitCode: 2)
        }
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        let trimmed = bytes.drop { whitespace.contains($0) }.reversed().drop { whitespace.contains($0) }.reversed()
        let key = String(decoding: Array(trimmed), as: UTF8.self)
        guard !key.isEmpty else { throw Self.fail(command, "the API key is empty", exitCode: 2) }
        return key
    }

    /// `servers drain|activate|disable ID`.
    static func move(_ id: String, to state: EvolutionServerState, command: String) throws {
        let context = try load(command: command)
        try context.perform { administration throws(ServerAdministrationError) in
            try administration.setState(id: id, to: state)
        }
        print("Evolution server \(id) is \(state.rawValue)")
    }

    /// Writes `message` as one line on stderr and returns the exit code to throw.
    static func fail(_ command: String, _ message: String, exitCode: Int32) -> ExitCode {
        writeToStandardError("tenant-whatsapp \(command): " + message.replacing("\n", with: " "))
        return ExitCode(exitCode)
    }
}
