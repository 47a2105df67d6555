/// Answers HTTP requests; one instance serves every worker thread, so it must be safe to share.
public protocol HTTPResponder: Sendable {
    /// The largest request body any request may carry, in bytes: the bridge reads no more, and refuses a larger
    /// declared length without reading it.
    var largestBodyLimit: Int { get }

    /// The response to `request`.
    func respond(to request: HTTPRequest, context: RequestContext) -> HTTPResponse

    /// The response when the request could not even be read (body too large or cut short).
    func respond(to failure: HTTPRequestFailure, request: HTTPRequest, context: RequestContext) -> HTTPResponse
}

/// Why a request could not be read.
public enum HTTPRequestFailure: Sendable, Equatable {
    /// The body exceeds `limit` bytes.
    case payloadTooLarge(limit: Int)
    /// The body ended before its declared length.
    case incompleteBody
}
