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
        var output: [UInt8] = []
        output.reserveCapacity(256 + body.count)
        output.append(contentsOf: "Status: ".utf8)
        output.append(contentsOf: String(status.code).utf8)
        output.append(UInt8(ascii: " "))
        output.append(contentsOf: status.reason.utf8)
        output.append(contentsOf: "\r\n".utf8)
        var hasLength = false
        for field in headers {
            hasLength = hasLength || HTTPHeaders.sameName(field.name, "Content-Length")
            output.append(contentsOf: field.name.utf8)
            output.append(contentsOf: ": ".utf8)
            output.append(contentsOf: field.value.utf8)
            output.append(contentsOf: "\r\n".utf8)
        }
        if !hasLength {
            output.append(contentsOf: "Content-Length: ".utf8)
            output.append(contentsOf: String(body.count).utf8)
            output.append(contentsOf: "\r\n".utf8)
        }
        output.append(contentsOf: "\r\n".utf8)
        output.append(contentsOf: body)
        return output
    }
}
