internal import CLibPQ

extension PostgresConnection {
    /// Subscribes this session to `channel` (`LISTEN`): its notifications are returned by
    /// ``waitForNotifications(upTo:)``. A reset session has forgotten it: listen again.
    ///
    /// `channel` must be a plain identifier (letters, digits, `_`), since `LISTEN` takes no parameters.
    public func listen(_ channel: String) throws(PostgresError) {
        guard !channel.isEmpty, channel.utf8.count <= 63,
            channel.utf8.allSatisfy({
                $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A)
            })
        else {
            throw PostgresError(kind: .invalidParameter, message: "a channel must be a plain identifier")
        }
        try execute(script: "LISTEN \(channel)")
    }

    /// Waits until at least one notification arrived or `timeout` passed, and returns the channels of those that
    /// arrived (empty after a timeout); a channel notified several times appears once per notification.
    ///
    /// Throws when the connection is lost meanwhile: reset it and listen again (notifications sent while it was
    /// gone are lost, so look for the work they announced).
    public func waitForNotifications(upTo timeout: Duration) throws(PostgresError) -> [String] {
        var received = try takeNotifications()
        guard received.isEmpty else { return received }
        let socket = PQsocket(handle)
        guard socket >= 0 else {
            throw PostgresError(kind: .connectionFailed, message: "the connection has no socket")
        }
        let milliseconds = max(0, min(Int(Int32.max), Int((timeout / .milliseconds(1)).rounded(.up))))
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(milliseconds))
        guard ready > 0 else { return [] }
        // "PQconsumeInput normally returns 1 indicating 'no error', but returns 0 if there was some kind of trouble".
        guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(
                kind: .connectionLost, message: PostgresError.singleLine(String(cString: PQerrorMessage(handle))))
        }
        received = try takeNotifications()
        return received
    }

    /// The notifications libpq has read already.
    private func takeNotifications() throws(PostgresError) -> [String] {
        var channels: [String] = []
        while let notification = PQnotifies(handle) {
            channels.append(String(cString: notification.pointee.relname))
            // "The PGnotify object returned by PQnotifies … must be freed with PQfreemem".
            PQfreemem(notification)
        }
        return channels
    }
}
