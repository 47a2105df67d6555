/// What libcurl's callbacks collect during one transfer: the body, up to a cap, and the header lines.
///
/// The callbacks receive it as their `void *` user data; the client keeps it alive for the whole transfer.
final class TransferBuffer {
    let bodyLimit: Int
    private(set) var body: [UInt8] = []
    private(set) var headers: [(name: String, value: String)] = []
    /// Set when the body went over `bodyLimit`: the write callback then stopped the transfer.
    private(set) var bodyLimitExceeded = false

    init(bodyLimit: Int) {
        self.bodyLimit = bodyLimit
    }

    /// Appends body bytes; false (stop the transfer) once the body would exceed the limit.
    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= bodyLimit else {
            bodyLimitExceeded = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// Records one header line. A status line starts a new response (an interim `100 Continue` is forgotten).
    ///
    /// Byte by byte: this runs for every header of every response.
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        if bytes.starts(with: "HTTP/".utf8) {
            headers.removeAll()
            return
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return }
        var start = colon + 1
        var end = bytes.count
        while start < end && Self.isBlank(bytes[start]) { start += 1 }
        while end > start && Self.isBlank(bytes[end - 1]) { end -= 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<colon]), as: UTF8.self)
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        headers.append((name, value))
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n")
    }
}

/// `CURLOPT_WRITEFUNCTION`: a free function, since libcurl calls it from C and a closure from actor-isolated code
/// would trap. "Your callback should return the number of bytes actually taken care of. If that amount differs
/// from the amount passed to your callback function, it signals an error condition to the library. This causes
/// the transfer to get aborted and the libcurl function used returns CURLE_WRITE_ERROR." (libcurl docs)
func receiveBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let buffer = Unmanaged<TransferBuffer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard length > 0, let data else { return 0 }
    return buffer.appendBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

/// `CURLOPT_HEADERFUNCTION`: one complete header line per call (libcurl docs), status line included.
func receiveHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let buffer = Unmanaged<TransferBuffer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if length > 0, let data { buffer.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: length)) }
    return length
}
