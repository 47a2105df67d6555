import Foundation

/// The outcome of a finished command.
struct CommandResult: Sendable {
    let status: Int32
    let output: String
    let error: String
    var succeeded: Bool { status == 0 }
}

/// Runs programs for the integration tests: to completion, or in the background as a handle.
enum Subprocess {
    /// Runs `arguments` (absolute program path first) to completion and captures stdout and stderr.
    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String]? = nil, input: String? = nil,
        currentDirectory: URL? = nil
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        // Output goes to files, not pipes: a daemon started by the command (pg_ctl start) may inherit the
        // descriptors and keep a pipe open forever, while a file is simply read once the command exits.
        let outFile = try CapturedOutput()
        let errFile = try CapturedOutput()
        process.standardOutput = outFile.handle
        process.standardError = errFile.handle
        let inPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, output: outFile.contents(),
            error: errFile.contents())
    }

    /// Runs `arguments` and throws, with its output, unless it exits 0.
    @discardableResult
    static func check(_ arguments: [String], environment: [String: String]? = nil) throws -> CommandResult {
        let result = try run(arguments, environment: environment)
        guard result.succeeded else {
            throw TestFailure(
                "\(arguments.joined(separator: " ")) exited \(result.status): \(result.output)\(result.error)")
        }
        return result
    }

    /// Prefixes `arguments` so that they run as the `postgres` user when the tests run as root.
    static func asPostgresUser(_ arguments: [String]) -> [String] {
        TestEnvironment.isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : arguments
    }
}

/// A temporary file that captures one stream of a command, removed when read.
private final class CapturedOutput {
    let handle: FileHandle
    private let path: String

    init() throws {
        var template = Array("/tmp/tw-out-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw TestFailure("mkstemp failed: errno \(errno)") }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func contents() -> String {
        defer { unlink(path) }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
