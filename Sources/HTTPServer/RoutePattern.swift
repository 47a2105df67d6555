/// A route's path pattern, such as `/api/tenants/{tenantId}/whatsapp/status`, matched against raw paths.
///
/// Not generic, and working on the path's UTF-8 bytes in place: this runs for every request, and matching by
/// splitting the path into substrings cost more than the rest of routing together.
struct RoutePattern: Sendable {
    private enum Segment: Sendable {
        case literal([UInt8])
        case parameter(String)
    }

    /// The pattern as written (for logs and metrics).
    let text: String
    private let segments: [Segment]

    /// Parses `text`: segments between slashes; `{name}` is a parameter.
    init(_ text: String) {
        self.text = text
        segments = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { segment in
            if segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            return .literal(Array(segment.utf8))
        }
    }

    /// Whether some segment is a parameter.
    var hasParameters: Bool {
        segments.contains { if case .parameter = $0 { true } else { false } }
    }

    /// The parameters, still percent-encoded, when `path` (starting with `/`) has as many segments as the pattern,
    /// each literal equal byte for byte and each parameter non-empty; nil otherwise.
    func parameters(in path: String) -> [String: String]? {
        var path = path
        return path.withUTF8 { bytes in parameters(in: bytes) }
    }

    private func parameters(in bytes: UnsafeBufferPointer<UInt8>) -> [String: String]? {
        var parameters: [String: String] = [:]
        var start = 1  // after the leading slash
        for (index, segment) in segments.enumerated() {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "/") { end += 1 }
            // Every segment but the last ends at a slash; the last ends the path.
            let isLast = index == segments.count - 1
            guard isLast ? end == bytes.count : end < bytes.count else { return nil }
            let actual = UnsafeBufferPointer(rebasing: bytes[start..<end])
            switch segment {
            case .literal(let literal):
                guard actual.elementsEqual(literal) else { return nil }
            case .parameter(let name):
                guard !actual.isEmpty else { return nil }
                parameters[name] = String(decoding: actual, as: UTF8.self)
            }
            start = end + 1
        }
        return parameters
    }
}
