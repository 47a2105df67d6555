/// Why the FastCGI transport could not start.
public enum FastCGIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// File descriptor 0 is not a listening socket: the process was not started by spawn-fcgi or systemd.
    case notAListeningSocket
    /// `FCGX_OpenSocket` failed for the path.
    case cannotOpenSocket(path: String, errno: Int32)
    /// The listening socket could not be made non-blocking.
    case cannotConfigureSocket(errno: Int32)
    /// `FCGX_Init` failed.
    case initializationFailed(code: Int32)
    /// A worker thread or the shutdown pipe could not be created.
    case cannotStartWorkers(errno: Int32)

    /// A stable machine code for logs.
    public var code: String {
        switch self {
        case .notAListeningSocket: "fastcgi_no_listening_socket"
        case .cannotOpenSocket: "fastcgi_cannot_open_socket"
        case .cannotConfigureSocket: "fastcgi_cannot_configure_socket"
        case .initializationFailed: "fastcgi_init_failed"
        case .cannotStartWorkers: "fastcgi_cannot_start_workers"
        }
    }

    /// A one-line explanation for an operator.
    public var description: String {
        switch self {
        case .notAListeningSocket:
            "file descriptor 0 is not a listening socket: start under spawn-fcgi or a systemd socket unit, "
                + "or pass --socket PATH"
        case .cannotOpenSocket(let path, let errno):
            "cannot open FastCGI socket \(path) (errno \(errno))"
        case .cannotConfigureSocket(let errno):
            "cannot make the listening socket non-blocking (errno \(errno))"
        case .initializationFailed(let code):
            "FCGX_Init failed (\(code))"
        case .cannotStartWorkers(let errno):
            "cannot start worker threads (errno \(errno))"
        }
    }
}
