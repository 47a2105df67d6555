import Foundation

/// One blocking call running on a thread of its own, whose end a test can watch and wait for.
///
/// Swift Testing runs test bodies on a pool as wide as the cores; a request that is meant to stay stalled upstream
/// needs its own thread, so the test can go on and look at everything else meanwhile.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var outcome: Result<Value, any Error>?

    /// Starts `body` on a new thread at once.
    init(_ body: @escaping @Sendable () throws -> Value) {
        let thread = Thread { [self] in
            let result = Result { try body() }
            condition.lock()
            outcome = result
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Whether the call has returned.
    var isFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return outcome != nil
    }

    /// Waits for the call (at most `timeoutSeconds`) and returns what it returned or threw.
    func value(timeoutSeconds: Double = 120) throws -> Value {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil {
            guard condition.wait(until: deadline) else {
                throw TestFailure("the call did not end in \(timeoutSeconds) s")
            }
        }
        return try outcome!.get()
    }

    /// Starts `count` calls of `body(index)`, each on its own thread.
    static func many(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Value) -> [Background<Value>] {
        (0..<count).map { index in Background { try body(index) } }
    }
}
