import Foundation

/// Requests whose bodies never finish, from one client address: each sends its headers and most of a body at once,
/// then one more byte every second (under any `client_body_timeout`), as an attacker holding nginx's body buffers
/// would, until ``stopDripping()``; from then on they stall and nginx cuts them.
final class SlowBodyFlood: @unchecked Sendable {
    /// The connections whose first bytes went out, in the order they were opened.
    private let connections = NSLock()
    private var opened: [RawHTTPConnection] = []
    private let dripping = NSCondition()
    private var stopped = false

    /// Starts dripping at once; ``open(_:to:from:path:bodyBytes:sentBytes:)`` adds the requests.
    init() {
        let thread = Thread { [self] in dripUntilStopped() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Opens `count` connections to 127.0.0.1:`port` from `sourceAddress`, each a `POST path` announcing
    /// `bodyBytes` of JSON and sending `sentBytes` of it.
    func open(
        _ count: Int, to port: Int, from sourceAddress: String, path: String, bodyBytes: Int, sentBytes: Int
    ) throws {
        let head =
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(bodyBytes)\r\n\r\n"
        var firstBytes = Data(head.utf8)
        firstBytes.append(Data(repeating: UInt8(ascii: " "), count: sentBytes))
        for _ in 0..<count {
            let connection = try RawHTTPConnection(port: port, from: sourceAddress)
            // A refused request's connection may be closed before all of it went out: it is counted all the same.
            _ = try? connection.write(firstBytes)
            connections.lock()
            opened.append(connection)
            connections.unlock()
        }
    }

    /// The connections opened so far.
    var all: [RawHTTPConnection] {
        connections.lock()
        defer { connections.unlock() }
        return opened
    }

    /// Stops the drip and closes every connection.
    func end() {
        stopDripping()
        connections.lock()
        opened.removeAll()
        connections.unlock()
    }

    /// Stops the drip: the bodies stall from now on.
    func stopDripping() {
        dripping.lock()
        stopped = true
        dripping.broadcast()
        dripping.unlock()
    }

    /// One byte to every connection each second (the pace of the attack, not a synchronisation) until stopped.
    private func dripUntilStopped() {
        while true {
            dripping.lock()
            if !stopped { _ = dripping.wait(until: Date().addingTimeInterval(1)) }
            let done = stopped
            dripping.unlock()
            if done { return }
            for connection in all {
                // A refused request's connection may be gone already: nothing to hold there.
                _ = try? connection.write(" ")
            }
        }
    }
}
