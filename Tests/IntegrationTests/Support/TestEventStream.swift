import Foundation

/// A Server-Sent Events subscriber on 127.0.0.1, as a browser's EventSource is one: `GET` with
/// `Accept: text/event-stream` (and `Last-Event-ID` when resuming), then events read one at a time with a deadline.
///
/// It speaks HTTP/1.0, so nginx streams the body as it is (no chunked framing) and closes at the end.
final class TestEventStream: @unchecked Sendable {
    /// One event: its `event:` name, `id:` and `data:` lines (joined with line feeds).
    struct Event: Sendable {
        let name: String?
        let id: String?
        let data: String

        /// `data` as a JSON object.
        func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else {
                throw TestFailure("event data is not a JSON object: \(data)")
            }
            return object
        }
    }

    /// The answer's status and headers (lower-case names).
    let status: Int
    let headers: [String: String]
    /// Comment lines (`:…`) seen so far, without the colon.
    private(set) var comments: [String] = []

    private let descriptor: Int32
    private var buffered = Data()

    /// Opens `path` through nginx on `port`, from `sourceAddress` when given; waits up to 10 s for the head.
    init(
        port: Int, path: String, accept: String? = "text/event-stream", lastEventID: String? = nil,
        from sourceAddress: String? = nil
    ) throws {
        descriptor = try Self.connect(port: port, from: sourceAddress)
        var request = "GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n"
        if let accept { request += "Accept: \(accept)\r\n" }
        if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
        request += "\r\n"
        do {
            try Self.write(Data(request.utf8), to: descriptor)
            var buffer = Data()
            let deadline = Date().addingTimeInterval(10)
            while buffer.range(of: Data("\r\n\r\n".utf8)) == nil {
                guard try Self.receive(into: &buffer, from: descriptor, until: deadline) else {
                    throw TestFailure("no answer head within 10 s (\(buffer.count) bytes)")
                }
            }
            let end = buffer.range(of: Data("\r\n\r\n".utf8))!
            (status, headers) = try TestHTTPClient.parseHead(buffer[..<end.upperBound])
            buffered = Data(buffer[end.upperBound...])
        } catch {
            Foundation.close(descriptor)
            throw error
        }
    }

    deinit {
        Foundation.close(descriptor)
    }

    /// Closes the connection (the subscriber goes away).
    func close() {
        shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// The whole body of a refusal (nginx closes after it, HTTP/1.0), within 10 s.
    func body() throws -> Data {
        let deadline = Date().addingTimeInterval(10)
        while try Self.receive(into: &buffered, from: descriptor, until: deadline) {}
        return buffered
    }

    /// The next event within `seconds`, or nil when none came (comments are recorded, not returned).
    func next(within seconds: Double) throws -> Event? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let event = takeEvent() { return event }
            guard try Self.receive(into: &buffered, from: descriptor, until: deadline) else { return nil }
        }
    }

    /// The next event within `seconds`; throws when none came.
    func expectEvent(within seconds: Double = 5, _ what: String = "an event") throws -> Event {
        guard let event = try next(within: seconds) else { throw TestFailure("no \(what) within \(seconds) s") }
        return event
    }

    /// Parses one complete event (up to a blank line) off the buffer.
    private func takeEvent() -> Event? {
        while let end = buffered.range(of: Data("\n\n".utf8)) {
            let block = String(decoding: buffered[..<end.lowerBound], as: UTF8.self)
            buffered.removeSubrange(..<end.upperBound)
            var name: String?
            var id: String?
            var data: [String] = []
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") {
                    comments.append(String(line.dropFirst()))
                } else if let colon = line.firstIndex(of: ":") {
                    var value = line[line.index(after: colon)...]
                    if value.hasPrefix(" ") { value = value.dropFirst() }
                    switch line[..<colon] {
                    case "event": name = String(value)
                    case "id": id = String(value)
                    case "data": data.append(String(value))
                    default: break
                    }
                }
            }
            if !data.isEmpty { return Event(name: name, id: id, data: data.joined(separator: "\n")) }
        }
        return nil
    }

    /// Reads what is there (waiting until `deadline`); false at the deadline or when the server closed.
    private static func receive(into buffer: inout Data, from descriptor: Int32, until deadline: Date) throws -> Bool {
        let left = deadline.timeIntervalSinceNow
        guard left > 0 else { return false }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(min(left, 60) * 1000) + 1)
        guard ready > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = recv(descriptor, &chunk, chunk.count, 0)
        if count < 0 { throw TestFailure("recv failed: errno \(errno)") }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private static func write(_ data: Data, to descriptor: Int32) throws {
        try data.withUnsafeBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { throw TestFailure("send failed: errno \(errno)") }
                sent += count
            }
        }
    }

    private static func connect(port: Int, from sourceAddress: String?) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        if let sourceAddress {
            var local = loopback(sourceAddress, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                Foundation.close(fd)
                throw TestFailure("bind to \(sourceAddress) failed: errno \(errno)")
            }
        }
        var address = loopback("127.0.0.1", port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = errno
            Foundation.close(fd)
            throw TestFailure("connect to 127.0.0.1:\(port) failed: errno \(error)")
        }
        return fd
    }

    private static func loopback(_ address: String, port: Int) -> sockaddr_in {
        var result = sockaddr_in()
        result.sin_family = sa_family_t(AF_INET)
        result.sin_port = in_port_t(UInt16(port).bigEndian)
        result.sin_addr.s_addr = inet_addr(address)
        return result
    }
}
