import Foundation
import Testing

/// `tenant-whatsapp servers …` as the real binary against a real database and evolution-sim (issue 19): bad input
/// is one line on stderr, exit 2 and nothing written; PostgreSQL or `SECRETS_KEY` failing is exit 1; the API key is
/// read from a file or standard input only, checked against the server before it is written, and never printed.
@Suite("tenant-whatsapp servers")
final class ServersCommandTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let databaseURL: String
    private let databaseName: String
    private let secretsKey = TestServerFleet.newSecretsKey()
    private let directory: URL
    private let keyFile: String

    /// A migrated database with server `s1` (the simulator, capacity 5) registered.
    init() throws {
        sim = try Self.launched.get()
        databaseURL = try TestPostgres.shared.createDatabase("servers_cli")
        databaseName = String(databaseURL.split(separator: "?")[0].split(separator: "/").last ?? "")
        try TestStack.migrate(databaseURL: databaseURL)
        directory = try TestEnvironment.makeScratchDirectory("servers-cli")
        keyFile = try TestServerFleet.writeKeyFile(sim.apiKey, in: directory)
        let added = try servers("add", "s1", "--url", sim.baseURL, "--capacity", "5", "--key-file", keyFile)
        guard added.succeeded else { throw TestFailure("servers add s1 exited \(added.status): \(added.error)") }
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    enum BadInput: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case unknownIDDrained, unknownIDChanged, unknownIDRemoved, duplicateID, malformedID, badURL, notAURL
        case capacityZero, capacityZeroSet, emptyKeyFile, emptyStandardInput, keyOnTheCommandLine, refusedKey
        case unreachableServer, removeWhileTenantsArePlaced

        var testDescription: String { rawValue }
    }

    @Test(arguments: BadInput.allCases)
    func badInputIsOneLineExit2AndWritesNothing(input: BadInput) throws {
        if input == .removeWhileTenantsArePlaced {
            try psql("INSERT INTO tenants (id, evolution_server_id) VALUES ('placed-1', 's1')")
        }
        let before = try registryText()
        let wrongKeyFile = try TestServerFleet.writeKeyFile("wrong-\(sim.apiKey)", in: directory)
        let blankKeyFile = try TestServerFleet.writeKeyFile("  \t ", in: directory)
        let add = ["add", "s2", "--capacity", "5"]
        let (arguments, standardInput): ([String], String?) =
            switch input {
            case .unknownIDDrained: (["drain", "nope"], nil)
            case .unknownIDChanged: (["set", "nope", "--capacity", "3"], nil)
            case .unknownIDRemoved: (["remove", "nope"], nil)
            case .duplicateID:
                (["add", "s1", "--url", sim.baseURL, "--capacity", "5", "--key-file", keyFile], nil)
            case .malformedID: (["add", "S_2", "--url", sim.baseURL, "--capacity", "5", "--key-file", keyFile], nil)
            case .badURL: (add + ["--url", "ftp://127.0.0.1/", "--key-file", keyFile], nil)
            case .notAURL: (add + ["--url", "not a url", "--key-file", keyFile], nil)
            case .capacityZero: (["add", "s2", "--url", sim.baseURL, "--capacity", "0", "--key-file", keyFile], nil)
            case .capacityZeroSet: (["set", "s1", "--capacity", "0"], nil)
            case .emptyKeyFile: (add + ["--url", sim.baseURL, "--key-file", blankKeyFile], nil)
            case .emptyStandardInput: (add + ["--url", sim.baseURL], "\n")
            case .keyOnTheCommandLine: (add + ["--url", sim.baseURL, "--key", sim.apiKey], nil)
            case .refusedKey: (add + ["--url", sim.baseURL, "--key-file", wrongKeyFile], nil)
            case .unreachableServer: (add + ["--url", TestResponder.unusedEvolutionURL, "--key-file", keyFile], nil)
            case .removeWhileTenantsArePlaced: (["remove", "s1"], nil)
            }

        let result = try servers(arguments, input: standardInput)

        #expect(result.status == 2, "\(result.status): \(result.output)\(result.error)")
        #expect(result.error.split(separator: "\n").count == 1, "\(result.error)")
        #expect(!result.error.contains(sim.apiKey) && !result.output.contains(sim.apiKey), "the key was printed")
        #expect(try registryText() == before)
    }

    @Test func aRefusedKeyIsWrittenOnlyWithNoCheck() throws {
        let wrongKeyFile = try TestServerFleet.writeKeyFile("wrong-key", in: directory)
        let arguments = ["add", "s2", "--url", sim.baseURL, "--capacity", "5", "--key-file", wrongKeyFile]
        #expect(try servers(arguments).status == 2)
        #expect(try psql("SELECT count(*) FROM evolution_servers") == "1")
        let unchecked = try servers(arguments + ["--no-check"])
        #expect(unchecked.status == 0, "\(unchecked.error)")
        #expect(try psql("SELECT count(*) FROM evolution_servers") == "2")
    }

    @Test func aKeyFromStandardInputIsStrippedAndOpensTheServer() throws {
        let added = try servers(
            ["add", "s2", "--url", sim.baseURL, "--capacity", "3"], input: "  \(sim.apiKey) \n\n")
        #expect(added.status == 0, "\(added.error)")
        // `set --url` checks the stored key against the server: only the stripped key passes.
        let changed = try servers("set", "s2", "--url", sim.baseURL + "/")
        #expect(changed.status == 0, "\(changed.error)")
        #expect(try psql("SELECT capacity || ' ' || state FROM evolution_servers WHERE id = 's2'") == "3 active")
    }

    @Test func listShowsEveryServerAndNeverTheKey() throws {
        try psql("INSERT INTO tenants (id, evolution_server_id) VALUES ('listed-1', 's1'), ('listed-2', 's1')")
        let table = try servers("list")
        #expect(table.status == 0, "\(table.error)")
        #expect(table.output.contains("s1") && table.output.contains(sim.baseURL))
        let json = try servers("list", "--json")
        #expect(json.status == 0, "\(json.error)")
        for output in [table.output, json.output] {
            #expect(!output.contains(sim.apiKey) && !output.contains("v1:"), "list printed a key: \(output)")
        }
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(Set(row.keys) == ["id", "url", "state", "capacity", "registered", "placed", "open", "connecting"])
        #expect(row["id"] as? String == "s1" && row["state"] as? String == "active")
        #expect(row["capacity"] as? Int == 5 && row["placed"] as? Int == 2 && row["registered"] as? Bool == true)
    }

    @Test func aServerWithoutTenantsIsRemovedAndStatesMove() throws {
        for (command, state) in [("drain", "draining"), ("disable", "disabled"), ("activate", "active")] {
            let moved = try servers(command, "s1")
            #expect(moved.status == 0, "\(moved.error)")
            #expect(try psql("SELECT state FROM evolution_servers WHERE id = 's1'") == state)
        }
        #expect(try servers("remove", "s1").status == 0)
        #expect(try psql("SELECT count(*) FROM evolution_servers") == "0")
    }

    @Test func anUnreachableDatabaseIsOneLineAndExit1() throws {
        let closed = "postgresql:///db?host=/tmp/tw-no-such-dir&port=5999&user=postgres&password=s3cr3t-servers"
        for arguments in [["list"], ["add", "s2", "--url", sim.baseURL, "--capacity", "5", "--key-file", keyFile]] {
            let result = try servers(arguments, environment: ["DATABASE_URL": closed])
            #expect(result.status == 1, "\(arguments): \(result.status) \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "\(result.error)")
            #expect(!result.error.contains("s3cr3t") && !result.error.contains(sim.apiKey))
        }
    }

    @Test func aMissingOrMalformedSecretsKeyIsOneLineNamingItAndExit1() throws {
        let before = try registryText()
        for key in ["", "not-base64-of-32-bytes"] {
            let result = try servers(
                ["add", "s2", "--url", sim.baseURL, "--capacity", "5", "--key-file", keyFile],
                environment: ["SECRETS_KEY": key])
            #expect(result.status == 1, "\(result.status) \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "\(result.error)")
            #expect(result.error.contains("SECRETS_KEY"), "\(result.error)")
        }
        #expect(try registryText() == before)
    }

    // MARK: - Helpers

    private func servers(_ arguments: String...) throws -> CommandResult { try servers(arguments) }

    private func servers(
        _ arguments: [String], input: String? = nil, environment extra: [String: String] = [:]
    ) throws -> CommandResult {
        let environment = TestServerFleet.cliEnvironment(databaseURL: databaseURL, secretsKey: secretsKey)
            .merging(extra) { $1 }
        return try TestServerFleet.runCLI(["servers"] + arguments, environment: environment, input: input ?? "")
    }

    /// Every column of every registered server: equal before and after a refused command means nothing was written.
    private func registryText() throws -> String {
        try psql("SELECT coalesce(json_agg(s ORDER BY s.id), '[]')::text FROM evolution_servers s")
    }

    @discardableResult
    private func psql(_ sql: String) throws -> String {
        try TestPostgres.shared.psql(sql, database: databaseName)
    }
}
