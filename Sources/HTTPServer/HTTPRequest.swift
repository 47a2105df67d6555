/// An HTTP request as the web server handed it over FastCGI.
///
/// The path is the raw path of `REQUEST_URI`: not percent-decoded, not normalised, so that `%2F` or `/../` can never
/// make one route look like another.
public struct HTTPRequest: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The raw path of the request target, without the query.
    public var path: String
    /// The raw query string (after `?`), or nil when there is none.
    public var query: String?
    /// The request headers (from the `HTTP_*` parameters, names in lower case with dashes).
    public var headers: HTTPHeaders
    /// The request body.
    public var body: [UInt8]
    /// The request id: nginx's `$request_id` when it sent a well-formed one, else generated here.
    public var requestID: String
    /// The client address nginx saw (`REMOTE_ADDR`), if any.
    public var remoteAddress: String?
    /// Which internal subrequest nginx made on the client's behalf (`EVENTS_SUBREQUEST`: nchan's `authorize` or
    /// `subscribed`), or nil for the client's own request. Only nginx's configuration can set it: a client's headers
    /// all arrive as `HTTP_*`.
    public var subrequest: String?

    /// A request from its parts.
    public init(
        method: HTTPMethod, path: String, query: String? = nil, headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], requestID: String, remoteAddress: String? = nil, subrequest: String? = nil
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.requestID = requestID
        self.remoteAddress = remoteAddress
        self.subrequest = subrequest
    }
}
