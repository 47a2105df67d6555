import Foundation

/// One TCP connection to nginx on 127.0.0.1 that a test drives by hand: several keep-alive requests in a row, or a
/// request whose body arrives a byte at a time. ``TestHTTPClient`` sends one whole request per connection; this
/// keeps the connection.
final class RawHTTPConnection: @unchecked Sendable {
    /// How the server ended the connection, as ``waitForClose(timeoutSeconds:)`` saw it.
    enum Ending: Equatable, CustomStringConvertible {
        /// An orderly close (FIN), with what it sent before.
        case closed(Data)
        /// A TCP reset, with what it sent before.
        case reset(Data)
        /// Still open when the wait ended.
        case stillOpen

        var description: String {
            switch self {
            case .closed(let data): "closed after \(data.count) bytes"
            case .reset(let data): "reset after \(data.count) bytes"
            case .stillOpen: "still open"
            }
        }
    }

    private let descriptor: Int32
    private var buffered = Data()

    /// Connects to 127.0.0.1:`port`, from `sourceAddress` (another loopback address, such as 127.0.0.2) when given.
    init(port: Int, from sourceAddress: String? = nil) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        descriptor = fd
        if let sourceAddress {
            var local = Self.loopback(sourceAddress, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                close(fd)
                throw TestFailure("bind to \(sourceAddress) failed: errno \(errno)")
            }
        }
        var address = Self.loopback("127.0.0.1", port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw TestFailure("connect to 127.0.0.1:\(port) failed: errno \(error)")
        }
        try setReceiveTimeout(seconds: 30)
    }

    deinit {
        close(descriptor)
    }

    /// Writes all of `bytes`.
    func write(_ bytes: Data) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { throw TestFailure("send failed: errno \(errno)") }
                offset += written
            }
        }
    }

    /// Writes `text` as UTF-8.
    func write(_ text: String) throws {
        try write(Data(text.utf8))
    }

    /// Sends `GET path` with keep-alive (HTTP/1.1's default) and reads its response, framed by `Content-Length`.
    func get(_ path: String) throws -> TestHTTPResponse {
        try write("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return try readResponse()
    }

    /// Whether the server has sent something not read yet (an answer, or the end of the connection), without
    /// waiting.
    var hasSomethingToRead: Bool {
        guard buffered.isEmpty else { return true }
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Reads one response whose body is framed by `Content-Length` (nginx's error pages and the responder's
    /// answers are), waiting at most `timeoutSeconds` for each read; bytes after it stay buffered for the next one.
    func readResponse(timeoutSeconds: Int = 30) throws -> TestHTTPResponse {
        try setReceiveTimeout(seconds: timeoutSeconds)
        let separator = Data("\r\n\r\n".utf8)
        while buffered.range(of: separator) == nil { try receiveMore() }
        let split = buffered.range(of: separator)!
        let (status, headers) = try TestHTTPClient.parseHead(Data(buffered[..<split.lowerBound]))
        guard let length = headers["content-length"].flatMap({ Int($0) }) else {
            throw TestFailure("no Content-Length in a response with status \(status)")
        }
        while buffered.count - split.upperBound < length { try receiveMore() }
        let body = Data(buffered[split.upperBound..<(split.upperBound + length)])
        buffered = Data(buffered[(split.upperBound + length)...])
        return TestHTTPResponse(status: status, headers: headers, body: body)
    }

    /// Reads until the server ends the connection or `timeoutSeconds` pass.
    func waitForClose(timeoutSeconds: Int) throws -> Ending {
        try setReceiveTimeout(seconds: timeoutSeconds)
        var received = buffered
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count > 0 {
                received.append(contentsOf: chunk[0..<count])
            } else if count == 0 {
                return .closed(received)
            } else if errno == ECONNRESET {
                return .reset(received)
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return .stillOpen
            } else if errno != EINTR {
                throw TestFailure("recv failed: errno \(errno)")
            }
        }
    }

    private func receiveMore() throws {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &chunk, chunk.count, 0)
        if count > 0 {
            buffered.append(contentsOf: chunk[0..<count])
        } else if count == 0 {
            throw TestFailure("the server closed the connection after \(buffered.count) bytes")
        } else {
            throw TestFailure("recv failed after \(buffered.count) bytes: errno \(errno)")
        }
    }

    private func setReceiveTimeout(seconds: Int) throws {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        guard setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0
        else { throw TestFailure("setsockopt(SO_RCVTIMEO) failed: errno \(errno)") }
    }

    private static func loopback(_ address: String, port: Int) -> sockaddr_in {
        var result = sockaddr_in()
        result.sin_family = sa_family_t(AF_INET)
        result.sin_port = in_port_t(UInt16(port).bigEndian)
        result.sin_addr.s_addr = inet_addr(address)
        return result
    }
}
