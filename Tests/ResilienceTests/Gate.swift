import Runtime

/// A one-way barrier: threads wait at it until the test opens it.
final class Gate: Sendable {
    private let isOpen = ConditionLock(false)

    /// Lets every waiting and future thread through.
    func open() {
        isOpen.withLockNotifying { $0 = true }
    }

    /// Waits until the gate opens, for at most `timeout` (generous: reaching it means a bug); false on timeout.
    @discardableResult
    func pass(timeout: Duration = .seconds(10)) -> Bool {
        isOpen.wait(until: .now + timeout) { $0 ? true : nil } ?? false
    }
}
