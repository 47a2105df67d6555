import Foundation
import Testing

/// ``Subprocess`` (through `posix_spawn`): what a command gets and what the test gets back.
@Suite("Subprocess")
struct SubprocessTests {
    @Test func aCommandStartsWithNoBlockedOrIgnoredSignalWhateverTheTestThreadBlocks() throws {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }

        let result = try Subprocess.run(["/usr/bin/grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"])

        #expect(result.succeeded)
        let masks = try #require(Self.signalMasks(result.output))
        #expect(masks.blocked == 0)
        // Signals 1-31 (SIGTERM, SIGINT, SIGPIPE, ...) at their defaults; glibc keeps its two internal real-time
        // signals (32, 33) out of reach of posix_spawn.
        #expect(masks.ignored & 0x7fff_ffff == 0)
    }

    @Test func stdoutStderrAndTheExitStatusComeBackSeparately() throws {
        let result = try Subprocess.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])

        #expect(result.status == 3)
        #expect(result.output == "out\n")
        #expect(result.error == "err\n")
    }

    @Test func theInputEnvironmentAndDirectoryReachTheCommand() throws {
        let result = try Subprocess.run(
            ["/bin/sh", "-c", "cat; echo \"$GREETING\"; pwd"], environment: ["GREETING": "hello"],
            input: "from stdin\n", currentDirectory: URL(fileURLWithPath: "/usr"))

        #expect(result.output == "from stdin\nhello\n/usr\n")
    }

    @Test func aCommandEndedBySignalReports128PlusItsNumber() throws {
        let result = try Subprocess.run(["/bin/sh", "-c", "kill -TERM $$"])

        #expect(result.status == 128 + SIGTERM)
    }

    @Test func outputLargerThanAPipeBufferIsCapturedWhole() throws {
        let result = try Subprocess.run(["/usr/bin/head", "-c", "1000000", "/dev/zero"])

        #expect(result.output.utf8.count == 1_000_000)
    }

    /// The `SigBlk` and `SigIgn` masks of `/proc/<pid>/status` lines.
    private static func signalMasks(_ lines: String) -> (blocked: UInt64, ignored: UInt64)? {
        var masks: [String: UInt64] = [:]
        for line in lines.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if fields.count == 2 { masks[String(fields[0])] = UInt64(fields[1], radix: 16) }
        }
        guard let blocked = masks["SigBlk:"], let ignored = masks["SigIgn:"] else { return nil }
        return (blocked, ignored)
    }
}
