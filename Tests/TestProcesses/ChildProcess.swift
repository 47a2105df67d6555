import Foundation

/// A program the tests start with `posix_spawn`, and its exit collected with `waitpid`: what every test target uses
/// instead of Foundation's `Process`.
///
/// Three reasons. `Process.run()` in swift-corelibs-foundation can crash the test runner with SIGSEGV
/// (`findMaximumOpenFromProcSelfFD` over-reads a dirent; swift-corelibs-foundation PR #5472). A child started by
/// `Process` from the test runner inherits a signal mask that blocks SIGTERM, SIGINT and SIGQUIT (`SigBlk` in its
/// `/proc/<pid>/status`), so a server it starts never sees SIGTERM; here the child starts with an empty mask and
/// every signal at its default disposition (`POSIX_SPAWN_SETSIGMASK`, `POSIX_SPAWN_SETSIGDEF`). And `Process` learns
/// of a child's exit through a descriptor the child inherits, which a daemon the child leaves behind keeps open
/// forever; here the child gets no descriptor above 2 (`posix_spawn_file_actions_addclosefrom_np`).
public final class ChildProcess: @unchecked Sendable {
    /// Where one of the child's standard streams (0, 1, 2) comes from or goes to.
    public enum Stream: Sendable {
        /// `/dev/null`.
        case null
        /// A file: read from for stdin; for stdout and stderr created when missing and appended to.
        case file(String)
        /// A descriptor of the test process, duplicated onto the stream (the test keeps its own).
        case descriptor(Int32)
        /// Whatever stdout is (for stderr: `2>&1`).
        case standardOutput
    }

    /// The child's process id.
    public let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `arguments` (absolute program path first).
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; nil inherits the test process's.
    ///   - currentDirectory: the child's working directory; nil keeps the test process's. Stream paths are opened
    ///     before the child changes to it.
    public init(
        arguments: [String], environment: [String: String]? = nil, currentDirectory: String? = nil,
        standardInput: Stream = .null, standardOutput: Stream = .null, standardError: Stream = .null
    ) throws {
        let actions = try SpawnFileActions(
            standardInput: standardInput, standardOutput: standardOutput, standardError: standardError,
            currentDirectory: currentDirectory)
        let attributes = SpawnAttributes()
        let argv = CStringArray(arguments)
        let environmentLines = environment.map { CStringArray($0.map { "\($0.key)=\($0.value)" }) }
        var pid: pid_t = 0
        let spawned =
            if let environmentLines {
                posix_spawn(
                    &pid, arguments[0], &actions.actions, &attributes.attributes, argv.pointers,
                    environmentLines.pointers)
            } else {
                posix_spawn(&pid, arguments[0], &actions.actions, &attributes.attributes, argv.pointers, environ)
            }
        guard spawned == 0 else {
            throw ChildProcessError("posix_spawn \(arguments[0]) failed: \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
    }

    /// Whether the child still runs (reaps it once it has exited).
    public var isRunning: Bool { reapIfExited() == nil }

    /// Waits for the child to exit and returns its exit status: the code it passed to `exit`, or 128 + the number of
    /// the signal that ended it, as a shell reports it.
    @discardableResult
    public func waitForExit() -> Int32 {
        if let status = reapIfExited() { return status }
        // Waits without reaping (WNOWAIT), so that the one reap happens under the lock, whichever thread asks.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        return reapIfExited() ?? -1
    }

    /// Sends `signal` unless the child has already been reaped (its pid may belong to another process by then).
    public func send(_ signal: Int32) {
        lock.withLock {
            if exitStatus == nil { _ = kill(pid, signal) }
        }
    }

    /// Sends `signal` (SIGTERM by default) and waits for the child; returns its exit status.
    @discardableResult
    public func terminate(with signal: Int32 = SIGTERM) -> Int32 {
        send(signal)
        return waitForExit()
    }

    /// The exit status once the child has exited (reaping it), nil while it runs.
    private func reapIfExited() -> Int32? {
        lock.withLock {
            if let exitStatus { return exitStatus }
            var raw: Int32 = 0
            var reaped = waitpid(pid, &raw, WNOHANG)
            while reaped < 0 && errno == EINTR { reaped = waitpid(pid, &raw, WNOHANG) }
            // -1 (ECHILD): not our child any more; never signal that pid again.
            if reaped < 0 { exitStatus = -1 }
            guard reaped == pid else { return exitStatus }
            // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift does not import.
            let status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
            exitStatus = status
            return status
        }
    }
}

/// A child process that could not be started.
public struct ChildProcessError: Error, CustomStringConvertible {
    /// What failed, with the C error text.
    public let description: String
    init(_ description: String) { self.description = description }
}
