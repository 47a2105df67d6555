import Foundation

/// Runs blocking work on real threads at the same moment.
///
/// Swift Testing runs test bodies on the cooperative pool, which has as many threads as cores (two here): blocking
/// calls made through it would run two at a time. Each call here gets its own `Thread`; all of them wait at a gate
/// that opens once every thread has started, so the requests really overlap.
enum Concurrently {
    /// Runs `body(index)` for index 0..<count on `count` threads released together; returns the results in index
    /// order. Fails the test when a thread does not finish within `timeoutSeconds`.
    static func run<Value: Sendable>(
        _ count: Int, timeoutSeconds: Double = 120, _ body: @escaping @Sendable (Int) throws -> Value
    ) throws -> [Result<Value, any Error>] {
        let results = ResultBox<Value>(count: count)
        let ready = DispatchGroup()
        let finished = DispatchGroup()
        let gate = DispatchSemaphore(value: 0)
        for index in 0..<count {
            ready.enter()
            finished.enter()
            let thread = Thread {
                ready.leave()
                gate.wait()
                let result = Result { try body(index) }
                results.set(index, result)
                finished.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        guard ready.wait(timeout: .now() + timeoutSeconds) == .success else {
            throw TestFailure("\(count) threads did not start within \(timeoutSeconds) s")
        }
        for _ in 0..<count { gate.signal() }
        guard finished.wait(timeout: .now() + timeoutSeconds) == .success else {
            throw TestFailure("\(count) concurrent calls did not finish within \(timeoutSeconds) s")
        }
        return try results.all()
    }
}

/// The results of ``Concurrently/run(_:timeoutSeconds:_:)``, written by the threads under a lock.
private final class ResultBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<Value, any Error>?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<Value, any Error>) {
        lock.withLock { values[index] = result }
    }

    func all() throws -> [Result<Value, any Error>] {
        try lock.withLock {
            try values.enumerated().map { index, value in
                guard let value else { throw TestFailure("call \(index) left no result") }
                return value
            }
        }
    }
}
