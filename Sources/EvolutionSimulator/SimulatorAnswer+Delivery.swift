import HTTPServer
import Runtime

extension SimulatorAnswer {
    /// Waits for ``delay``, then writes the reply through `write`, which returns false once the web server has
    /// gone away (then writing stops).
    public func deliver(write: ([UInt8]) -> Bool) {
        Self.sleep(delay)
        switch reply {
        case .complete(let response):
            _ = write(response.serializedForCGI())
        case .streamed(let status, let headers, let totalBytes, let chunkBytes, let interval):
            guard write(Self.cgiHead(status: status, headers: headers, contentLength: nil)) else { return }
            var sent = 0
            while sent < totalBytes {
                let count = min(chunkBytes, totalBytes - sent)
                guard write(Self.filler(count: count, startingAt: sent)) else { return }
                sent += count
                if sent < totalBytes { Self.sleep(interval) }
            }
        case .truncated(let status, let headers, let declaredLength, let body):
            guard write(Self.cgiHead(status: status, headers: headers, contentLength: declaredLength)) else { return }
            _ = write(body)
        case .notCGI:
            _ = write(Array("this is not a CGI response\r\n\r\n".utf8))
        }
    }

    /// The CGI header block: `Status`, the fields, `Content-Length` when given, a blank line.
    static func cgiHead(status: HTTPStatus, headers: HTTPHeaders, contentLength: Int?) -> [UInt8] {
        var head = "Status: \(status.code) \(status.reason)\r\n"
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        if let contentLength { head += "Content-Length: \(contentLength)\r\n" }
        return Array((head + "\r\n").utf8)
    }

    /// `count` bytes of a long JSON string: `{"data":"xxxx…` (never closed: the body is meant to be too big).
    static func filler(count: Int, startingAt offset: Int) -> [UInt8] {
        let prefix = Array(#"{"data":""#.utf8)
        return (offset..<(offset + count)).map { $0 < prefix.count ? prefix[$0] : UInt8(ascii: "x") }
    }

    /// Sleeps the calling worker thread (a delay is meant to hold the request, and the thread, that long).
    static func sleep(_ duration: Duration) {
        Pause.for(duration)
    }
}
