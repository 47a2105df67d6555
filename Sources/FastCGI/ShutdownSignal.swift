internal import Glibc
import Runtime

/// The write end of the pipe that SIGTERM/SIGINT wake the server through (self-pipe trick).
///
/// Written once before the handlers are installed and only read by the async-signal-safe handler afterwards.
nonisolated(unsafe) private var shutdownPipeWriteEnd: Int32 = -1

/// A signal handler must be a free function: a closure created in main-actor code would trap on another thread.
private func writeShutdownByte(_ signal: Int32) {
    var byte: UInt8 = 1
    _ = Glibc.write(shutdownPipeWriteEnd, &byte, 1)
}

/// Turns SIGTERM and SIGINT into a readable pipe that every worker polls alongside the listening socket.
///
/// Nobody drains the pipe, so once a signal arrives it stays readable: every thread, now or later, sees it. This
/// replaces libfcgi's own SIGTERM handler, which only sets a flag that threads blocked in `accept(2)` never see.
struct ShutdownSignal {
    /// The end to poll: readable once shutdown was requested.
    let readEnd: Int32

    /// Creates the pipe and installs the handlers. Call before `FCGX_Init`, which installs its own SIGTERM handler
    /// only where none is set.
    static func install() throws(FastCGIError) -> ShutdownSignal {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .cannotStartWorkers(errno: errno) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // The handler must never block, even if the pipe were full.
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        shutdownPipeWriteEnd = ends[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = writeShutdownByte
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        for signal in [SIGTERM, SIGINT] {
            guard sigaction(signal, &action, nil) == 0 else { throw .cannotStartWorkers(errno: errno) }
        }
        return ShutdownSignal(readEnd: ends[0])
    }

    /// Requests shutdown from inside the process, exactly as a SIGTERM would.
    static func trigger() {
        writeShutdownByte(SIGTERM)
    }

    /// Blocks until shutdown is requested.
    ///
    /// A blocking `read(2)` rather than `poll(2)`: it needs no descriptor slot, so it works even under a soft
    /// RLIMIT_NOFILE of 0 (where poll fails with EINVAL). The byte is written back, so the pipe stays readable for
    /// the workers.
    func wait() {
        var byte: UInt8 = 0
        while true {
            let count = Glibc.read(readEnd, &byte, 1)
            if count == 1 { break }
            if count < 0 && errno == EINTR { continue }
            // A read that fails for another reason should not spin: try again shortly.
            Pause.for(.milliseconds(100))
        }
        ShutdownSignal.trigger()
    }
}

/// Blocks or unblocks SIGTERM and SIGINT for the calling thread (new threads inherit the mask).
func setShutdownSignalsBlocked(_ blocked: Bool) {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGTERM)
    sigaddset(&signals, SIGINT)
    pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &signals, nil)
}
