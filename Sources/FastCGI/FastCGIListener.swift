internal import CFastCGI
internal import Glibc

/// The listening socket a responder accepts FastCGI connections on.
///
/// Either the socket its parent handed over as file descriptor 0 (spawn-fcgi, a systemd socket unit), or one it
/// opens itself on a path. The socket is made non-blocking so that idle workers can wait for it together with the
/// shutdown signal in `poll(2)`; accepted connections stay blocking (Linux does not inherit `O_NONBLOCK`).
public struct FastCGIListener: Sendable {
    /// The listening file descriptor.
    let descriptor: Int32

    /// The socket inherited as file descriptor 0, as spawn-fcgi and systemd's `StandardInput=socket` provide it.
    public static func inherited() throws(FastCGIError) -> FastCGIListener {
        var accepting: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0, accepting != 0 else {
            throw .notAListeningSocket
        }
        return try FastCGIListener(configuring: 0)
    }

    /// The socket at `path` when one is given (`serve --socket PATH`), else the inherited file descriptor 0.
    public static func make(socketPath path: String?) throws(FastCGIError) -> FastCGIListener {
        if let path { return try open(path: path) }
        return try inherited()
    }

    /// Opens a socket of its own: a unix socket at `path` (mode 0660, an existing file is replaced), or
    /// `host:port` for TCP (libfcgi's syntax).
    public static func open(path: String, backlog: Int32 = 1024) throws(FastCGIError) -> FastCGIListener {
        let isUnixPath = !path.contains(":")
        // The socket file is created under the umask; 0660 from the start leaves no window where others can connect.
        let previousMask = isUnixPath ? umask(0o117) : nil
        let descriptor = FCGX_OpenSocket(path, backlog)
        if let previousMask { umask(previousMask) }
        guard descriptor >= 0 else { throw .cannotOpenSocket(path: path, errno: errno) }
        return try FastCGIListener(configuring: descriptor)
    }

    /// Whether this is a unix socket (on TCP, `shutdown(2)` of a listener resets its queue).
    var isUnixSocket: Bool {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return status == 0 && Int32(address.ss_family) == AF_UNIX
    }

    /// Refuses new connections from now on while keeping those already queued (unix sockets only); false when
    /// the socket is not a unix socket or the kernel refused.
    func refuseNewConnections() -> Bool {
        isUnixSocket && shutdown(descriptor, Int32(SHUT_RD)) == 0
    }

    private init(configuring descriptor: Int32) throws(FastCGIError) {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw .cannotConfigureSocket(errno: errno)
        }
        self.descriptor = descriptor
    }
}
