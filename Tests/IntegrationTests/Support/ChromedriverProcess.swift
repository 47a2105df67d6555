import Foundation
import TestProcesses

/// chromedriver as a child of the test process, started by ``ChildProcess`` (`posix_spawn`), stopped with SIGTERM.
///
/// It starts with no blocked signal, so SIGTERM reaches it and it ends its browser (a chromedriver stopped with SIGKILL
/// would orphan the browser), and with no descriptor above 2, which Chromium's helpers could otherwise keep open.
final class ChromedriverProcess: @unchecked Sendable {
    private let child: ChildProcess

    /// Starts `arguments` (absolute program path first) with stdin from /dev/null and stdout+stderr to `outputFile`.
    init(arguments: [String], outputFile: String) throws {
        child = try ChildProcess(
            arguments: arguments, standardInput: .null, standardOutput: .file(outputFile),
            standardError: .standardOutput)
    }

    /// Whether the child still runs (reaps it once it has exited).
    var isRunning: Bool { child.isRunning }

    /// SIGTERM, up to 10 s to exit, then SIGKILL; always reaps the child.
    func stop() {
        guard child.isRunning else { return }
        child.send(SIGTERM)
        if (try? Wait.until("chromedriver exits", timeoutSeconds: 10, pollMilliseconds: 20, { !child.isRunning }))
            == nil
        {
            child.terminate(with: SIGKILL)
        }
    }

    deinit {
        stop()
    }
}
