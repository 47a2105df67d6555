internal import Glibc

/// Starting threads: the one place the product calls `pthread_create`.
public enum Threads {
    /// The stack of a thread started with the default: 512 KiB. Nothing on the request path recurses deeply (the
    /// JSON parser limits nesting), so hundreds of threads stay cheap.
    public static let defaultStackSize = 512 * 1024

    /// The processors online (at least 1).
    public static var processorCount: Int {
        max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// Runs `body` on a new detached thread with a stack of `stackSize` bytes.
    ///
    /// Throws the `errno` of `pthread_create` (EAGAIN when the process or system is out of threads).
    public static func detach(
        stackSize: Int = defaultStackSize, _ body: @escaping @Sendable () -> Void
    ) throws(ThreadStartError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, max(stackSize, Int(PTHREAD_STACK_MIN)))
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, &attributes, runThreadBody, context)
        guard created == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw ThreadStartError(errno: created)
        }
    }
}

/// A thread could not be started.
public struct ThreadStartError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What `pthread_create` returned.
    public let errno: Int32

    /// One line for logs.
    public var description: String { "cannot start a thread (errno \(errno))" }
}

private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}

/// The thread entry point: a free function, since a closure made in main-actor code traps on another thread.
private func runThreadBody(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue().run()
    return nil
}
