import CoreMetrics

extension Timer {
    /// Records `duration` in whole nanoseconds, as swift-metrics' timers take them.
    func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
