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
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon])
        let value = line[line.index(after: colon)...].trimmingSpacesAndLineEnds()
        headers.append((name, value))
    }
}

extension Substring {
    fileprivate func trimmingSpacesAndLineEnds() -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
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
