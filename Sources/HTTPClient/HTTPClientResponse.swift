/// A complete response: status, headers and the whole body (within the client's cap).
public struct HTTPClientResponse: Sendable {
    /// The status code, e.g. 200.
    public let status: Int
    /// The header fields of the final response, in order, names as the server wrote them.
    public let headers: [(name: String, value: String)]
    /// The body (never more than the client's body limit).
    public let body: [UInt8]
    /// Whether the exchange ran on a connection kept alive from an earlier one (libcurl opened none).
    public let reusedConnection: Bool

    /// A response from its parts.
    public init(
        status: Int, headers: [(name: String, value: String)], body: [UInt8], reusedConnection: Bool
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.reusedConnection = reusedConnection
    }

    /// The first value of the header `name`, whatever its case.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
