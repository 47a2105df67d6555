import Foundation

/// chromedriver as a child of the test process, started with `posix_spawn` rather than Foundation's `Process`.
///
/// Two reasons. A chromedriver started by `Process` from the test runner inherits a signal mask that blocks SIGTERM,
/// SIGINT and SIGQUIT (`SigBlk` in its `/proc/<pid>/status`) and never unblocks them, so it cannot be stopped but
/// with SIGKILL, which would orphan the browser. Here the child starts with an empty mask and default dispositions
/// (`POSIX_SPAWN_SETSIGMASK`, `POSIX_SPAWN_SETSIGDEF`). And `Process` learns of a child's exit through a descriptor
/// the child inherits (see ``Subprocess/runStartingDaemon(_:outputFile:)``), which Chromium's helpers could keep
/// open: here the child gets no descriptor above 2, and its exit is collected with `waitpid`.
final class ChromedriverProcess: @unchecked Sendable {
    private let pid: pid_t
    private let lock = NSLock()
    private var exited = false

    /// Starts `arguments` (absolute program path first) with stdin from /dev/null and stdout+stderr to `outputFile`.
    init(arguments: [String], outputFile: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc 2.34+; looked up with dlsym because the Glibc module does not import it.
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
            unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3) == 0
        else { throw TestFailure("posix_spawn_file_actions_addclosefrom_np is missing (glibc older than 2.34?)") }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard spawned == 0 else { throw TestFailure("posix_spawn \(arguments[0]) failed: error \(spawned)") }
        self.pid = pid
    }

    /// Whether the child still runs (reaps it once it has exited).
    var isRunning: Bool {
        lock.withLock {
            guard !exited else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exited = true }
            return !exited
        }
    }

    /// SIGTERM, up to 10 s to exit, then SIGKILL; always reaps the child.
    func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if (try? Wait.until("chromedriver exits", timeoutSeconds: 10, pollMilliseconds: 20, { !isRunning })) == nil {
            kill(pid, SIGKILL)
            lock.withLock {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                exited = true
            }
        }
    }

    deinit {
        stop()
    }
}
