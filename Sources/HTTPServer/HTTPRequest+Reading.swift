import FastCGI

extension HTTPRequest {
    /// What reading a FastCGI request gave: the request, with its body when it could be read whole.
    public struct Reading: Sendable {
        /// The request; its body is empty when `failure` is set.
        public var request: HTTPRequest
        /// Why the body could not be read (too large, cut short), or nil.
        public var failure: HTTPRequestFailure?
    }

    /// Reads `fastCGIRequest`'s parameters and its body, up to `bodyLimit` bytes: a larger declared
    /// `CONTENT_LENGTH` is refused without reading it.
    public static func read(from fastCGIRequest: borrowing FastCGIRequest, bodyLimit: Int) -> Reading {
        var reader = FastCGIParameterReader()
        fastCGIRequest.forEachParameter { name, value in reader.add(name: name, value: value) }
        var request = reader.request(body: [])
        let declaredLength = reader.declaredContentLength
        switch fastCGIRequest.readBody(declaredLength: declaredLength, limit: bodyLimit) {
        case .complete(let body):
            request.body = body
            return Reading(request: request, failure: nil)
        case .tooLarge:
            return Reading(request: request, failure: .payloadTooLarge(limit: bodyLimit))
        case .truncated:
            return Reading(request: request, failure: .incompleteBody)
        }
    }
}
