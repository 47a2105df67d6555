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
        var allHeaders = HTTPHeaders()
        allHeaders.add(name: "Content-Type", value: "application/json; charset=utf-8")
        allHeaders.add(name: "Cache-Control", value: "no-store")
        for field in headers { allHeaders.add(name: field.name, value: field.value) }
        return HTTPResponse(status: status, headers: allHeaders, body: value.serialized())
    }

    /// The response in CGI form, as a FastCGI responder writes it: a `Status` line, the headers, a blank line and
    /// the body.
    public func serializedForCGI() -> [UInt8] {
        serializedForCGI(requestID: nil)
    }

    /// The response in CGI form with `X-Request-Id: requestID` in place of any `X-Request-Id` among the headers
    /// (the bridge writes every response so, without copying the headers to replace one).
    public func serializedForCGI(requestID: String?) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256 + body.count)
        output.append(utf8: "Status: ")
        output.append(decimal: status.code)
        output.append(UInt8(ascii: " "))
        output.append(utf8: status.reason)
        output.append(utf8: "\r\n")
        var hasLength = false
        for field in headers {
            if requestID != nil, HTTPHeaders.sameName(field.name, "X-Request-Id") { continue }
            hasLength = hasLength || HTTPHeaders.sameName(field.name, "Content-Length")
            output.append(utf8: field.name)
            output.append(utf8: ": ")
            output.append(utf8: field.value)
            output.append(utf8: "\r\n")
        }
        if let requestID {
            // Field values never carry a line break (HTTPHeaders removes them); the id is checked the same way.
            output.append(utf8: "X-Request-Id: ")
            output.append(utf8: HTTPHeaders.singleLine(requestID))
            output.append(utf8: "\r\n")
        }
        if !hasLength {
            output.append(utf8: "Content-Length: ")
            output.append(decimal: body.count)
            output.append(utf8: "\r\n")
        }
        output.append(utf8: "\r\n")
        output.append(contentsOf: body)
        return output
    }
}
