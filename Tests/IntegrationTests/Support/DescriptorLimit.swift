import Foundation

/// This process's soft limit of open descriptors, which nginx and the responders started afterwards inherit.
enum DescriptorLimit {
    /// Raises the soft limit to at least `minimum`; fails when the hard limit is lower.
    static func raise(atLeast minimum: UInt) throws {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw TestFailure("getrlimit failed: errno \(errno)")
        }
        guard limit.rlim_cur < minimum else { return }
        guard limit.rlim_max >= minimum else {
            throw TestFailure("the hard descriptor limit \(limit.rlim_max) is under the \(minimum) this test needs")
        }
        limit.rlim_cur = rlim_t(minimum)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw TestFailure("setrlimit failed: errno \(errno)")
        }
    }
}
