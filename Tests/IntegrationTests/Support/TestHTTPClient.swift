import Foundation

/// A response read off the wire.
struct TestHTTPResponse: Sendable {
    let status: Int
    /// Header names in lower case; repeated headers joined with ", ".
    let headers: [String: String]
    let body: Data

    /// The body parsed as a JSON object (fails the test when it is not one).
    func jsonObject() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw TestFailure("body is not a JSON object: \(String(decoding: body, as: UTF8.self))")
        }
        return object
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A minimal HTTP/1.1 client over a plain TCP socket to 127.0.0.1, so tests send exactly the bytes they mean
/// (no path normalisation, no added headers) and read exactly what nginx answered.
enum TestHTTPClient {
    /// Sends one request with `Connection: close` and reads the whole response; from `sourceAddress` (another
    /// loopback address, such as 127.0.0.2) when given, else from the address the kernel picks (127.0.0.1).
    static func send(
        port: Int, method: String, path: String, headers: [(String, String)] = [], body: Data? = nil,
        timeoutSeconds: Int = 30, from sourceAddress: String? = nil
    ) throws -> TestHTTPResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var request = Data(head.utf8)
        if let body { request.append(body) }
        let raw = try exchange(port: port, request: request, timeoutSeconds: timeoutSeconds, from: sourceAddress)
        return try parse(raw)
    }

    /// Writes `request` to a new connection (bound to `sourceAddress` when given) and reads until the server closes
    /// it.
    static func exchange(
        port: Int, request: Data, timeoutSeconds: Int, from sourceAddress: String? = nil
    ) throws -> Data {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let sourceAddress { try bind(fd, to: sourceAddress) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        try request.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if written <= 0 {
                    // The server may answer (413) and close before the whole body is sent: read what it said.
                    if errno == EPIPE || errno == ECONNRESET { return }
                    throw TestFailure("send failed: errno \(errno)")
                }
                offset += written
            }
        }
        var response = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        // Until the server closes, or until a response framed by Content-Length is complete: some servers
        // (chromedriver) answer `Connection: close` but leave the connection open.
        while !isCompleteByContentLength(response) {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count > 0 {
                response.append(contentsOf: chunk[0..<count])
            } else if count == 0 || errno == ECONNRESET {
                break
            } else {
                throw TestFailure("recv failed after \(response.count) bytes: errno \(errno)")
            }
        }
        return response
    }

    /// Binds `fd` to `address` (port chosen by the kernel): the server then sees the connection come from there.
    private static func bind(_ fd: Int32, to address: String) throws {
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(address)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("bind to \(address) failed: errno \(errno)") }
    }

    /// Whether `raw` holds a whole response head and the `Content-Length` bytes it announces (never for a
    /// chunked or unframed body, which ends when the server closes).
    private static func isCompleteByContentLength(_ raw: Data) -> Bool {
        guard let split = raw.range(of: Data("\r\n\r\n".utf8)) else { return false }
        let head = String(decoding: raw[..<split.lowerBound], as: UTF8.self).lowercased()
        guard !head.contains("\r\ntransfer-encoding:") else { return false }
        guard let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
            let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
        else { return false }
        return raw.count - split.upperBound >= length
    }

    private static func parse(_ raw: Data) throws -> TestHTTPResponse {
        guard let split = raw.range(of: Data("\r\n\r\n".utf8)) else {
            throw TestFailure(
                "no complete response head in \(raw.count) bytes: \(String(decoding: raw, as: UTF8.self))")
        }
        let (status, headers) = try parseHead(raw[..<split.lowerBound])
        var body = Data(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        return TestHTTPResponse(status: status, headers: headers, body: body)
    }

    /// The status and headers of a response head (the bytes before the blank line): header names in lower case,
    /// repeated headers joined with ", ".
    static func parseHead(_ bytes: Data) throws -> (status: Int, headers: [String: String]) {
        let head = String(decoding: bytes, as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusParts = lines.removeFirst().split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw TestFailure("bad status line in \(head)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        return (status, headers)
    }

    private static func dechunk(_ data: Data) throws -> Data {
        var output = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else {
                throw TestFailure("bad chunk size \(sizeText)")
            }
            if size == 0 { break }
            let start = lineEnd.upperBound
            output.append(rest[start..<(start + size)])
            rest = rest[(start + size + 2)...]
        }
        return output
    }
}
