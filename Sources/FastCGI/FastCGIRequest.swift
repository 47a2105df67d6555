import CFastCGI

/// One accepted FastCGI request, valid only while its handler runs.
///
/// libfcgi frees the parameters and streams in `FCGX_Finish_r`, so this value cannot be copied or kept: read what
/// you need into Swift values during the call.
public struct FastCGIRequest: ~Copyable {
    private let request: UnsafeMutablePointer<FCGX_Request>

    init(_ request: UnsafeMutablePointer<FCGX_Request>) {
        self.request = request
    }

    /// Every parameter the web server sent, copied into Swift strings, in the order received.
    ///
    /// libfcgi keeps them as a NULL-terminated `NAME=VALUE` array (`envp`).
    public func parameters() -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        guard var cursor = request.pointee.envp else { return result }
        result.reserveCapacity(32)
        while let entry = cursor.pointee {
            let pair = String(cString: entry)
            if let separator = pair.firstIndex(of: "=") {
                result.append((String(pair[..<separator]), String(pair[pair.index(after: separator)...])))
            }
            cursor += 1
        }
        return result
    }

    /// Reads the request body (FCGI_STDIN) up to `limit` bytes.
    ///
    /// With a declared `CONTENT_LENGTH` above the limit, nothing is read. Without one, the stream is read until its
    /// end or until it exceeds the limit.
    public func readBody(declaredLength: Int?, limit: Int) -> FastCGIBody {
        if let declaredLength, declaredLength > limit { return .tooLarge }
        let wanted = declaredLength ?? (limit + 1)
        var body = [UInt8](repeating: 0, count: wanted)
        var received = 0
        while received < wanted {
            let count = body.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.advanced(by: received).withMemoryRebound(to: CChar.self, capacity: wanted) {
                    FCGX_GetStr($0, Int32(wanted - received), request.pointee.in)
                }
            }
            if count <= 0 { break }
            received += Int(count)
        }
        if received > limit { return .tooLarge }
        if let declaredLength, received < declaredLength { return .truncated }
        body.removeLast(wanted - received)
        return .complete(body)
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
