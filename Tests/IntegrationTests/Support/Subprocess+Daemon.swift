import Foundation
import TestProcesses

extension Subprocess {
    /// Runs a command that leaves a daemon behind (`pg_ctl start`, `redis-server --daemonize yes`) and waits for the
    /// command itself, with stdin from /dev/null and stdout+stderr appended to `outputFile`.
    ///
    /// The daemon holds no descriptor of the test process (``ChildProcess`` closes every descriptor above 2 before
    /// `exec`), so nothing waits on it, and it starts with no blocked signal, so SIGTERM stops it.
    static func runStartingDaemon(_ arguments: [String], outputFile: String) throws -> Int32 {
        let command = try ChildProcess(
            arguments: arguments, standardInput: .null, standardOutput: .file(outputFile),
            standardError: .standardOutput)
        return command.waitForExit()
    }
}
