import Runtime

/// Values that threads add to, and a test waits for, without sleeping.
final class Recorder<Element: Sendable>: Sendable {
    private let elements = ConditionLock<[Element]>([])

    /// Everything recorded so far, in order.
    var all: [Element] {
        elements.withLock { $0 }
    }

    /// Adds `element` and wakes whoever waits for a count.
    func record(_ element: Element) {
        elements.withLockNotifying { $0.append(element) }
    }

    /// Waits until `count` elements were recorded, for at most `timeout` (generous: reaching it means a bug), and
    /// returns them; nil when the timeout came first.
    func waitFor(count: Int, timeout: Duration = .seconds(10)) -> [Element]? {
        elements.wait(until: .now + timeout) { $0.count >= count ? $0 : nil }
    }
}
