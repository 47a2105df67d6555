import JSON

/// An HTTP response to write back through FastCGI.
public struct HTTPResponse: Sendable {
    /// The status.
    public var status: HTTPStatus
    /// The header fields (the `Status` line is added when written).
    public var headers: HTTPHeaders
    /// The body.
    public var body: [UInt8]

    /// A response from its parts.
    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response: `Content-Type: application/json; charset=utf-8` and `Cache-Control: no-store`.
    public static func json(
        _ status: HTTPStatus, _ value: JSONValue, headers: HTTPHeaders = HTTPHeaders()
    )
        -> HTTPResponse
    {
        var allHeaders = HTTPHeaders([
            ("Content-Type", "application/json; charset=utf-8"), ("Cache-Control", "no-store"),
        ])
        for field in headers { allHeaders.add(name: field.name, value: field.value) }
        return HTTPResponse(status: status, headers: allHeaders, body: value.serialized())
    }

    /// The response in CGI form, as a FastCGI responder writes it: a `Status` line, the headers, a blank line and
    /// the body.
    public func serializedForCGI() -> [UInt8] {
        var head = "Status: \(status.code) \(status.reason)\r\n"
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        if headers["Content-Length"] == nil { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var output = Array(head.utf8)
        output.append(contentsOf: body)
        return output
    }
}
