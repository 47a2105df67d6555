internal import Glibc

/// Tells whether the web server closed a request's connection, without reading from it.
///
/// Valid only while the request is being answered (libfcgi closes the descriptor in `FCGX_Finish_r`). With request
/// buffering on, nginx has sent the whole request before the responder reads it, so the connection has nothing
/// more to deliver: a hang-up, or end of stream, means it was closed.
public struct FastCGIConnectionWatch: Sendable {
    let descriptor: Int32

    /// `POLLRDHUP` (Linux, <poll.h> with _GNU_SOURCE, which Glibc's Swift module does not define): the peer closed.
    private static let pollReadHangUp: Int16 = 0x2000

    /// True once the web server closed the connection (the client went away).
    public var isClosed: Bool {
        guard descriptor >= 0 else { return false }
        var watched = pollfd(fd: descriptor, events: Int16(POLLIN) | Self.pollReadHangUp, revents: 0)
        guard poll(&watched, 1, 0) > 0 else { return false }
        if watched.revents & (Int16(POLLHUP) | Self.pollReadHangUp | Int16(POLLERR)) != 0 { return true }
        // Readable: end of stream (0) means closed; unread bytes (an FCGI_ABORT_REQUEST, say) mean not yet.
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) == 0
    }
}
