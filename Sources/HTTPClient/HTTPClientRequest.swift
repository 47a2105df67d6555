/// One request for ``HTTPClient/send(_:)``.
public struct HTTPClientRequest: Sendable {
    /// The method.
    public var method: HTTPClientMethod
    /// The absolute `http://` or `https://` URL.
    public var url: String
    /// Header fields to send, in order. Names and values must not contain CR, LF or NUL; an empty value removes a
    /// header libcurl would add itself (libcurl's `Name:` convention).
    public var headers: [(name: String, value: String)]
    /// The body, or nil for none.
    public var body: [UInt8]?
    /// The deadline for the whole exchange (connect, send, receive), in milliseconds.
    public var timeoutMilliseconds: Int
    /// A unix socket to connect to instead of the URL's host and port (the URL still gives the path and `Host`), or
    /// nil for TCP.
    public var unixSocketPath: String?
    /// Whether a response whose body goes over the client's cap is returned with its body cut at the cap (the
    /// transfer stops there), instead of failing with ``HTTPClientError/tooLarge(limit:)``: for callers that need
    /// only the status.
    public var acceptsTruncatedBody = false

    /// A request from its parts.
    public init(
        method: HTTPClientMethod, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeoutMilliseconds: Int, unixSocketPath: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.unixSocketPath = unixSocketPath
    }
}
