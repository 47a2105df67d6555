/// Answers FastCGI requests on one worker thread.
///
/// Each worker thread gets its own handler from the server's factory and is its only user, so a handler may own
/// per-thread resources (a database connection, an HTTP client handle) without locking.
public protocol FastCGIRequestHandler: AnyObject {
    /// Reads `request` and writes its whole response before returning.
    func handle(_ request: borrowing FastCGIRequest)
}
