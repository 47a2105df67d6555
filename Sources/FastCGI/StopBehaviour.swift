/// What a responder does with its listening socket on SIGTERM/SIGINT.
public enum StopBehaviour: String, Sendable, CaseIterable {
    /// The socket is the responder's own (`serve --socket`, or spawn-fcgi's): a unix socket stops taking new
    /// connections at once (`shutdown(SHUT_RD)`: a new `connect` is refused, so nginx moves to the next server of
    /// its upstream), every connection already queued is accepted and answered, then the responder exits. Under
    /// steady traffic it therefore still exits. A TCP socket keeps accepting until its queue stays empty (shutting
    /// a TCP listener down would reset the queue).
    case drain
    /// The socket is shared with whoever starts the next responder (a systemd socket unit): nothing more is
    /// accepted, the requests in flight finish, and the connections still queued stay on the socket for the next
    /// process. The socket itself is left untouched.
    case handover
}
