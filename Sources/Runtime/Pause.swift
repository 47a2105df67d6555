internal import Glibc

/// Blocking the calling thread for a while: the one place the product calls `nanosleep`.
public enum Pause {
    /// Blocks the calling thread for `duration` (resumed after signals, so the whole duration passes).
    public static func `for`(_ duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var remaining = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var interval = remaining
        while nanosleep(&interval, &remaining) != 0 && errno == EINTR { interval = remaining }
    }
}
