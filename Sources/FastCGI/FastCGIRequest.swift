internal import CFastCGI
internal import Glibc

/// One accepted FastCGI request, valid only while its handler runs.
///
/// libfcgi frees the parameters and streams in `FCGX_Finish_r`, so this value cannot be copied or kept: read what
/// you need into Swift values during the call.
public struct FastCGIRequest: ~Copyable {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init(_ request: UnsafeMutablePointer<FCGX_Request>) {
        self.request = request
    }

    /// Hands each parameter's name and value to `body` as bytes, in the order received, without copying them: they
    /// are valid only during the call. Of the thirty-odd parameters nginx sends, a responder reads a handful, and
    /// decides on the bytes which ones to copy.
    public func forEachParameter(
        _ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Void
    ) {
        guard var cursor = request.pointee.envp else { return }
        while let entry = cursor.pointee {
            cursor += 1
            let length = strlen(entry)
            entry.withMemoryRebound(to: UInt8.self, capacity: length) { start in
                let pair = UnsafeBufferPointer(start: start, count: length)
                guard let separator = pair.firstIndex(of: UInt8(ascii: "=")) else { return }
                body(
                    UnsafeBufferPointer(rebasing: pair[..<separator]),
                    UnsafeBufferPointer(rebasing: pair[(separator + 1)...]))
            }
        }
    }

    /// Reads the request body (FCGI_STDIN) up to `limit` bytes.
    ///
    /// With a declared `CONTENT_LENGTH` above the limit, nothing is read. Without one, the stream is read until its
    /// end or until it exceeds the limit.
    public func readBody(declaredLength: Int?, limit: Int) -> FastCGIBody {
        if let declaredLength {
            guard declaredLength <= limit else { return .tooLarge }
            let body = read(upTo: declaredLength)
            guard body.count == declaredLength else { return .truncated }
            // The empty record that ends FCGI_STDIN follows the body at once: reading it marks the input as read to
            // its end (see FastCGIWorker), and a byte instead would be more than declared, which nginx never sends.
            if let input = request.pointee.in, FCGX_HasSeenEOF(input) == 0 { _ = FCGX_GetChar(input) }
            return .complete(body)
        }
        // No declared length (nginx sends an empty CONTENT_LENGTH on GET): read what comes, one byte past the limit
        // at most, without reserving the whole limit for what is almost always an empty body.
        let body = read(upTo: limit + 1)
        return body.count > limit ? .tooLarge : .complete(body)
    }

    /// Reads up to `count` bytes of FCGI_STDIN, fewer when the stream ends first.
    private func read(upTo count: Int) -> [UInt8] {
        var body: [UInt8] = []
        // A chunk on the stack, never zeroed: most bodies are empty (GET) or a few bytes. At most 1 KiB: a larger
        // temporary allocation asks the runtime whether the stack has room, and falls back to the heap.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: min(max(count, 1), 1024)) { chunk in
            while body.count < count {
                let wanted = Int32(min(chunk.count, count - body.count))
                let received = FCGX_GetStr(chunk.baseAddress, wanted, request.pointee.in)
                if received <= 0 { break }
                UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(chunk)[0..<Int(received)])
                    .withMemoryRebound(to: UInt8.self) { body.append(contentsOf: $0) }
            }
        }
        return body
    }

    /// A check, usable while this request is being answered, of whether the web server closed its connection: nginx
    /// does so when the client went away (it sends no `FCGI_ABORT_REQUEST`), so nobody will read the answer.
    public var connectionWatch: FastCGIConnectionWatch {
        FastCGIConnectionWatch(descriptor: request.pointee.ipcFd)
    }

    /// Writes `bytes` to the response stream (FCGI_STDOUT). Returns false when the web server has gone away.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return true }
        let written = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                FCGX_PutStr($0, Int32(buffer.count), request.pointee.out)
            }
        }
        return written == Int32(bytes.count)
    }
}

/// The outcome of reading a request body.
public enum FastCGIBody: Sendable, Equatable {
    /// The whole body.
    case complete([UInt8])
    /// The body is larger than the limit.
    case tooLarge
    /// The stream ended before the declared `CONTENT_LENGTH`.
    case truncated
}
