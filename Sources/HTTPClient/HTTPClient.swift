internal import CCurl

/// An HTTP/1.1 client on one libcurl easy handle, for one thread.
///
/// The handle is reused for every request, so a connection to the same host stays open between calls
/// (keep-alive). Every request is made with the same fixed safety settings (``send(_:)`` lists them); the caller
/// chooses only the method, URL, headers, body and deadline.
///
/// Not thread-safe, on purpose: libcurl says "You must never share the same handle in multiple threads". Make one
/// client per worker thread.
public final class HTTPClient {
    /// The default cap on a response body: 1 MiB.
    public static let defaultBodyLimit = 1024 * 1024
    /// The deadline for making the TCP (and TLS) connection: 2 s, or the request's own deadline if shorter.
    public static let connectTimeoutMilliseconds = 2000

    /// The largest response body accepted, in bytes.
    public let bodyLimit: Int
    /// The easy handle, owned here: created in `init`, freed in `deinit`.
    private let handle: UnsafeMutableRawPointer

    /// A client whose responses may carry at most `bodyLimit` bytes of body.
    public init(bodyLimit: Int = HTTPClient.defaultBodyLimit) throws(HTTPClientError) {
        guard CurlGlobal.initialized == CURLE_OK, let handle = curl_easy_init() else {
            throw .initializationFailed
        }
        self.handle = handle
        self.bodyLimit = max(0, bodyLimit)
    }

    deinit {
        // "This might close all connections this handle has used and possibly has kept open until now."
        curl_easy_cleanup(handle)
    }

    /// Sends `request` and returns the complete response, whatever its status.
    ///
    /// Fixed settings, set anew for every request: no signals (`NOSIGNAL`, required with threads), connect
    /// deadline ``connectTimeoutMilliseconds``, redirects never followed (libcurl would send our headers, API key
    /// included, to the new host), http and https only, no proxy (not even one from `http_proxy`/`ALL_PROXY`),
    /// TLS peer and host verification on, no `Expect: 100-continue`, and the body capped at ``bodyLimit`` in the
    /// write callback (libcurl 7.88's `MAXFILESIZE` misses chunked bodies).
    public func send(_ request: HTTPClientRequest) throws(HTTPClientError) -> HTTPClientResponse {
        try Self.validate(request)
        // "It does not change the following information kept in the handle: live connections, the Session ID
        // cache, the DNS cache, the cookies, the shares or the alt-svc cache." (curl_easy_reset docs) So every
        // request starts from the defaults and the connection stays alive.
        curl_easy_reset(handle)
        let buffer = TransferBuffer(bodyLimit: bodyLimit)
        let context = Unmanaged.passUnretained(buffer).toOpaque()
        let headerList = try HeaderList(request.headers + [("Expect", "")])
        defer {
            // The handle must not point at the list once it is freed (when `headerList` goes, right after this).
            _ = tw_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, nil)
            withExtendedLifetime(headerList) {}
        }
        try configure(for: request, headers: headerList, context: context)
        let code = withExtendedLifetime(buffer) { curl_easy_perform(handle) }
        guard code == CURLE_OK else {
            // The status line and headers were read in full before the body went over the cap.
            if buffer.bodyLimitExceeded, request.acceptsTruncatedBody {
                return HTTPClientResponse(
                    status: info(CURLINFO_RESPONSE_CODE), headers: buffer.headers, body: buffer.body,
                    reusedConnection: info(CURLINFO_NUM_CONNECTS) == 0)
            }
            throw HTTPClientError.classify(code, bodyLimitExceeded: buffer.bodyLimitExceeded, limit: bodyLimit)
        }
        return HTTPClientResponse(
            status: info(CURLINFO_RESPONSE_CODE), headers: buffer.headers, body: buffer.body,
            reusedConnection: info(CURLINFO_NUM_CONNECTS) == 0)
    }

    private func configure(
        for request: HTTPClientRequest, headers: HeaderList, context: UnsafeMutableRawPointer
    ) throws(HTTPClientError) {
        let timeout = max(1, request.timeoutMilliseconds)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_CONNECTTIMEOUT_MS, min(Self.connectTimeoutMilliseconds, timeout))
        try set(CURLOPT_TIMEOUT_MS, timeout)
        try set(CURLOPT_FOLLOWLOCATION, 0)
        try set(CURLOPT_PROTOCOLS_STR, "http,https")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        // "Setting the proxy string to "" (an empty string) explicitly disables the use of a proxy, even if there
        // is an environment variable set for it." (CURLOPT_PROXY docs)
        try set(CURLOPT_PROXY, "")
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        try set(CURLOPT_URL, request.url)
        if let socket = request.unixSocketPath { try set(CURLOPT_UNIX_SOCKET_PATH, socket) }
        try check(tw_curl_setopt_write_function(handle, receiveBody))
        try check(tw_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        try check(tw_curl_setopt_header_function(handle, receiveHeader))
        try check(tw_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        try check(tw_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers.pointer))
        try setMethodAndBody(request)
    }

    private func setMethodAndBody(_ request: HTTPClientRequest) throws(HTTPClientError) {
        guard let body = request.body else {
            switch request.method {
            case .get: try set(CURLOPT_HTTPGET, 1)
            case .post: try setBody([])
            case .put, .patch, .delete: try set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            }
            return
        }
        try setBody(body)
        if request.method != .post { try set(CURLOPT_CUSTOMREQUEST, request.method.rawValue) }
    }

    /// Sends `body` as the request body (which makes the request a POST unless a custom method is set).
    private func setBody(_ body: [UInt8]) throws(HTTPClientError) {
        try set(CURLOPT_POSTFIELDSIZE, body.count)
        // COPYPOSTFIELDS copies the bytes into the handle: nothing of ours has to outlive this call. Never a null
        // pointer: libcurl would then read the body from its read callback (stdin by default).
        guard !body.isEmpty else { return try set(CURLOPT_COPYPOSTFIELDS, "") }
        let code = body.withUnsafeBytes { bytes in
            tw_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
        }
        try check(code)
    }

    private func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(tw_curl_setopt_long(handle, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        // libcurl copies string options ("the application does not have to keep the string around").
        try check(tw_curl_setopt_string(handle, option, value))
    }

    private func check(_ code: CURLcode) throws(HTTPClientError) {
        guard code == CURLE_OK else { throw .transport(curlCode: Int32(bitPattern: code.rawValue)) }
    }

    private func info(_ item: CURLINFO) -> Int {
        var value = 0
        _ = tw_curl_getinfo_long(handle, item, &value)
        return value
    }

    private static func validate(_ request: HTTPClientRequest) throws(HTTPClientError) {
        let url = request.url.lowercased()
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw .invalidRequest(reason: "the URL is not http or https")
        }
        guard !request.url.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) else {
            throw .invalidRequest(reason: "the URL contains a space or a control character")
        }
        for (name, value) in request.headers {
            guard !name.isEmpty, !name.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ":") || $0 == 0x7F })
            else { throw .invalidRequest(reason: "a header name is empty or not a token") }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) else {
                throw .invalidRequest(reason: "the value of header \(name) contains CR, LF or NUL")
            }
        }
    }
}

@available(*, unavailable, message: "one client per thread: libcurl handles must not be shared between threads")
extension HTTPClient: Sendable {}

/// `curl_global_init`, exactly once per process: a `static let` is initialised once, thread-safely, on first use.
/// (libcurl 7.88: "This function is not thread safe" — hence never call it anywhere else.)
private enum CurlGlobal {
    static let initialized: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))
}
