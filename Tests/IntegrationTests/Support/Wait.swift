import Foundation

/// Polling with a deadline, for conditions that another process makes true (a socket appears, a port opens).
///
/// This is not a sleep used as synchronisation: it returns as soon as the condition holds and fails the test with
/// `what` when the deadline passes.
enum Wait {
    static func until(
        _ what: String, timeoutSeconds: Double = 20, pollMilliseconds: UInt32 = 10, _ condition: () throws -> Bool
    ) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if try condition() { return }
            usleep(pollMilliseconds * 1000)
        }
        if try condition() { return }
        throw TestFailure("timed out after \(timeoutSeconds) s waiting until \(what)")
    }
}
