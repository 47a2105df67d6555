import Foundation

extension Subprocess {
    /// Runs a command that leaves a daemon behind (`pg_ctl start`, `spawn-fcgi` without `-n`) and waits for the
    /// command itself, with stdin from /dev/null and stdout+stderr appended to `outputFile`.
    ///
    /// Foundation's `Process` cannot be used for these: on Linux it learns that a child exited when a socket it
    /// shares with the child is closed, and the daemon inherits that socket, so `waitUntilExit` never returns.
    /// Here the child closes every descriptor above 2 before `exec` (`posix_spawn_file_actions_addclosefrom_np`),
    /// so the daemon holds nothing of the test process, and the exit is collected with `waitpid`.
    static func runStartingDaemon(_ arguments: [String], outputFile: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        try closeDescriptorsFrom3(&actions)

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else {
            throw TestFailure("posix_spawn \(arguments[0]) failed: error \(spawned)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestFailure("waitpid failed: errno \(errno)") }
        }
        // WIFEXITED / WEXITSTATUS are macros Swift does not import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    /// Adds glibc's `posix_spawn_file_actions_addclosefrom_np(actions, 3)` (glibc 2.34+). Looked up with `dlsym`
    /// because the Glibc module does not import it.
    private static func closeDescriptorsFrom3(_ actions: inout posix_spawn_file_actions_t) throws {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            throw TestFailure("posix_spawn_file_actions_addclosefrom_np is missing (glibc older than 2.34?)")
        }
        let addCloseFrom = unsafeBitCast(symbol, to: AddCloseFrom.self)
        guard addCloseFrom(&actions, 3) == 0 else { throw TestFailure("addclosefrom_np failed") }
    }
}
