import Foundation

/// A tenant's nchan channel as nginx's publisher socket reports it (`GET /tenants/{tenantId}`,
/// nginx/tenant-whatsapp.events.http.conf): how many subscribers it has, so a test waits for a page's stream to be
/// open instead of sleeping.
enum NchanChannel {
    /// The channel's active subscribers (0 when nginx knows no such channel).
    static func subscribers(of tenant: String, publishSocket: String) throws -> Int {
        let text = try get("/tenants/\(tenant)", socket: publishSocket)
        guard text.hasPrefix("HTTP/1.0 200") || text.hasPrefix("HTTP/1.1 200") else { return 0 }
        // Lines end in CRLF, one Character in Swift: split on any line break.
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("active subscribers:") {
            return Int(line.dropFirst("active subscribers:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    /// The whole answer to `GET path` (HTTP/1.0, so nginx closes after it) on the unix socket at `socket`.
    private static func get(_ path: String, socket socketPath: String) throws -> String {
        let fd = Foundation.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw TestFailure("socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect to \(socketPath) failed: errno \(errno)") }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\nAccept: text/plain\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            throw TestFailure("send to \(socketPath) failed: errno \(errno)")
        }
        var answer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            answer += chunk[..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
