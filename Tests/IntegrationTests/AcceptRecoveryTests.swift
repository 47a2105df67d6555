import Foundation
import Testing

/// Running out of file descriptors makes `accept` fail with EMFILE; the responder must back off and keep serving
/// once descriptors are free again, instead of leaving its accept loop for good.
@Suite("Accept errors")
struct AcceptRecoveryTests {
    @Test func theResponderRecoversFromFileDescriptorExhaustion() throws {
        let database = try TestPostgres.shared.createDatabase("emfile_\(UInt32.random(in: 0...UInt32.max))")
        let stack = try TestStack.start(databaseURL: database, threads: 1)
        defer { stack.stop() }
        #expect(try stack.send("GET", "/api/health").status == 200)

        // A soft limit of 2 leaves no descriptor for the next accept (0–5 are taken); those already open keep
        // working, and poll(2) on two descriptors is still allowed (it fails with EINVAL above the limit).
        let pid = stack.responder.pid
        try setSoftDescriptorLimit(pid: pid, to: 2)

        let response = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            response.result = Result { try stack.send("GET", "/api/health") }
            done.signal()
        }
        try Wait.until("the responder reports the failed accept") {
            try stack.responder.logLines().contains {
                $0["message"] as? String == "accept failed; retrying" && $0["errno"] as? String == "\(EMFILE)"
            }
        }
        try setSoftDescriptorLimit(pid: pid, to: 1024)

        done.wait()
        #expect(try response.result?.get().status == 200)
        #expect(try stack.send("GET", "/api/health").status == 200)
        #expect(stack.responder.isRunning)
    }

    @Test func theResponderSurvivesALimitTooLowEvenForPollAndStillStopsOnSIGTERM() throws {
        let database = try TestPostgres.shared.createDatabase("nofile_\(UInt32.random(in: 0...UInt32.max))")
        let stack = try TestStack.start(databaseURL: database, threads: 2)
        defer { stack.stop() }
        // spawn-fcgi makes the socket before the responder has even loaded its libraries: lowering the limit that
        // early would kill the start-up itself, so the first answer comes before the limit drops.
        #expect(try stack.send("GET", "/api/health").status == 200)
        let pid = stack.responder.pid
        // With a soft limit of 0 nothing can be accepted (EMFILE) and poll(2) itself fails (EINVAL): the workers must
        // back off, not spin or exit.
        try setSoftDescriptorLimit(pid: pid, to: 0)
        let response = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            response.result = Result { try stack.send("GET", "/api/health") }
            done.signal()
        }
        try Wait.until("a worker reports the failed accept or poll") {
            try stack.responder.logLines().contains {
                ["poll failed; retrying", "accept failed; retrying"].contains($0["message"] as? String)
            }
        }
        try setSoftDescriptorLimit(pid: pid, to: 1024)
        done.wait()
        #expect(try response.result?.get().status == 200)
        #expect(stack.responder.terminate() == 0)
    }

    private func setSoftDescriptorLimit(pid: Int32, to limit: Int) throws {
        try Subprocess.check(["/usr/bin/prlimit", "--pid", "\(pid)", "--nofile=\(limit):"])
    }
}

private final class ResponseBox: @unchecked Sendable {
    var result: Result<TestHTTPResponse, any Error>?
}
