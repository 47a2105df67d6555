import Foundation
import TestProcesses

/// The outcome of a finished command.
struct CommandResult: Sendable {
    let status: Int32
    let output: String
    let error: String
    var succeeded: Bool { status == 0 }
}

/// Runs programs for the integration tests: to completion, or in the background as a handle.
///
/// Every program starts through ``ChildProcess`` (`posix_spawn`), never Foundation's `Process`: see there why.
enum Subprocess {
    /// Runs `arguments` (absolute program path first) to completion and captures stdout and stderr.
    ///
    /// `environment` is the child's whole environment (nil: the test process's); `input` goes to its stdin (nil:
    /// /dev/null). The exit status of a command ended by a signal is 128 + the signal's number.
    @discardableResult
    static func run(
        _ arguments: [String], environment: [String: String]? = nil, input: String? = nil,
        currentDirectory: URL? = nil
    ) throws -> CommandResult {
        let completion = try ChildProcess.run(
            arguments, environment: environment, input: input, currentDirectory: currentDirectory?.path)
        return CommandResult(status: completion.status, output: completion.output, error: completion.error)
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
