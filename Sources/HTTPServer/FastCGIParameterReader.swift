/// Builds an ``HTTPRequest`` from FastCGI parameters given as raw bytes, one at a time.
///
/// Names are classified on their bytes: a header (`HTTP_*`) becomes one header, a parameter the request uses is
/// decoded, and every other one (nginx sends some twenty) is skipped without making a string. This runs for every
/// request; ``HTTPRequest/init(fastCGIParameters:body:)`` goes through it too, so both paths behave alike.
struct FastCGIParameterReader {
    private var method = HTTPMethod.get
    private var target = "/"
    private var headers = HTTPHeaders()
    private var requestID: String?
    private var remoteAddress: String?
    private var subrequest: String?
    /// `CONTENT_LENGTH` as sent (nginx sends it empty on GET).
    private var contentLength: String?

    /// Takes one parameter.
    mutating func add(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        if name.count > 5, name.starts(with: Self.headerPrefix) {
            // An empty header (such as the `HTTP_PROXY ""` that blocks httpoxy) is dropped.
            if !value.isEmpty { headers.add(name: Self.headerName(fromParameter: name), value: Self.string(value)) }
            return
        }
        switch Self.knownParameter(name) {
        case .requestMethod: method = HTTPMethod(rawValue: Self.string(value))
        case .requestURI: target = Self.string(value)
        case .requestID: requestID = RequestID.validated(bytes: value)
        case .remoteAddress: remoteAddress = Self.string(value)
        case .subrequest where !value.isEmpty: subrequest = Self.string(value)
        case .contentType where !value.isEmpty: headers.add(name: "content-type", value: Self.string(value))
        case .contentLength where !value.isEmpty:
            let text = Self.string(value)
            contentLength = text
            headers.add(name: "content-length", value: text)
        case .contentType, .contentLength, .subrequest, nil: break
        }
    }

    /// The request read so far, with `body`.
    func request(body: [UInt8]) -> HTTPRequest {
        let (path, query) = Self.splitTarget(target)
        return HTTPRequest(
            method: method, path: path, query: query, headers: headers, body: body,
            requestID: requestID ?? RequestID.generate(), remoteAddress: remoteAddress, subrequest: subrequest)
    }

    /// The declared body length (see ``HTTPRequest/declaredContentLength(in:)``).
    var declaredContentLength: Int? {
        contentLength.flatMap(HTTPRequest.declaredContentLength(value:))
    }

    private static let headerPrefix: [UInt8] = Array("HTTP_".utf8)

    private enum KnownParameter: CaseIterable {
        case requestMethod, requestURI, requestID, remoteAddress, contentType, contentLength, subrequest

        var name: [UInt8] {
            switch self {
            case .requestMethod: Array("REQUEST_METHOD".utf8)
            case .requestURI: Array("REQUEST_URI".utf8)
            case .requestID: Array("REQUEST_ID".utf8)
            case .remoteAddress: Array("REMOTE_ADDR".utf8)
            case .contentType: Array("CONTENT_TYPE".utf8)
            case .contentLength: Array("CONTENT_LENGTH".utf8)
            case .subrequest: Array("EVENTS_SUBREQUEST".utf8)
            }
        }
    }

    private static let knownNames: [(name: [UInt8], parameter: KnownParameter)] = KnownParameter.allCases.map {
        ($0.name, $0)
    }

    private static func knownParameter(_ name: UnsafeBufferPointer<UInt8>) -> KnownParameter? {
        for known in knownNames where known.name.count == name.count && sameBytes(known.name, name) {
            return known.parameter
        }
        return nil
    }

    /// Byte-wise equality of two buffers of the same length, by index (the generic `elementsEqual` costs more).
    private static func sameBytes(_ first: [UInt8], _ second: UnsafeBufferPointer<UInt8>) -> Bool {
        first.withUnsafeBufferPointer { first in
            for index in 0..<first.count where first[index] != second[index] { return false }
            return true
        }
    }

    private static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// `HTTP_X_FOO` → `x-foo`.
    private static func headerName(fromParameter name: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: name.count - 5) { output in
            for (index, byte) in name.dropFirst(5).enumerated() {
                switch byte {
                case UInt8(ascii: "_"): output[index] = UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): output[index] = byte + 0x20
                default: output[index] = byte
                }
            }
            return name.count - 5
        }
    }

    /// The path and query of a request target, split at the first `?` byte (searching by Character would walk
    /// grapheme clusters).
    private static func splitTarget(_ target: String) -> (path: String, query: String?) {
        let bytes = target.utf8
        guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else { return (target, nil) }
        return (String(Substring(bytes[..<mark])), String(Substring(bytes[bytes.index(after: mark)...])))
    }
}
