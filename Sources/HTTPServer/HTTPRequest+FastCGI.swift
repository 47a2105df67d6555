extension HTTPRequest {
    /// A request from the FastCGI parameters nginx sends (Debian's `fastcgi_params` plus `REQUEST_ID`).
    ///
    /// - `REQUEST_URI` gives the raw path and query;
    /// - every `HTTP_*` parameter becomes a header (`HTTP_X_FOO` → `x-foo`); an empty one (such as the
    ///   `HTTP_PROXY ""` that blocks httpoxy) is dropped;
    /// - `CONTENT_TYPE` and `CONTENT_LENGTH` become headers when not empty (nginx sends them empty on GET);
    /// - `REMOTE_USER` is ignored: nginx fills it from any client `Authorization: Basic` header.
    public init(fastCGIParameters parameters: [(name: String, value: String)], body: [UInt8] = []) {
        var method = HTTPMethod.get
        var target = "/"
        var headers = HTTPHeaders()
        var requestID: String?
        var remoteAddress: String?
        for (name, value) in parameters {
            // Most parameters are headers: recognised by their prefix before any comparison with the names below.
            if name.utf8.count > 5, name.utf8.starts(with: "HTTP_".utf8) {
                if !value.isEmpty { headers.add(name: Self.headerName(fromParameter: name), value: value) }
                continue
            }
            switch name {
            case "REQUEST_METHOD": method = HTTPMethod(rawValue: value)
            case "REQUEST_URI": target = value
            case "REQUEST_ID": requestID = RequestID.validated(value)
            case "REMOTE_ADDR": remoteAddress = value
            case "CONTENT_TYPE" where !value.isEmpty: headers.add(name: "content-type", value: value)
            case "CONTENT_LENGTH" where !value.isEmpty: headers.add(name: "content-length", value: value)
            default: break
            }
        }
        let (path, query) = Self.splitTarget(target)
        self.init(
            method: method, path: path, query: query, headers: headers, body: body,
            requestID: requestID ?? RequestID.generate(), remoteAddress: remoteAddress)
    }

    /// The declared body length: `CONTENT_LENGTH` as a non-negative integer, or nil when absent or malformed.
    public static func declaredContentLength(in parameters: [(name: String, value: String)]) -> Int? {
        guard let value = parameters.first(where: { $0.name == "CONTENT_LENGTH" })?.value,
            !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return nil }
        return Int(value)
    }

    private static func headerName(fromParameter name: String) -> String {
        var bytes = Array(name.utf8.dropFirst(5))
        for index in bytes.indices {
            switch bytes[index] {
            case UInt8(ascii: "_"): bytes[index] = UInt8(ascii: "-")
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes[index] += 0x20
            default: break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func splitTarget(_ target: String) -> (path: String, query: String?) {
        // On the UTF-8 bytes: `?` is one byte, and searching by Character would walk grapheme clusters.
        let bytes = target.utf8
        guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else { return (target, nil) }
        return (String(Substring(bytes[..<mark])), String(Substring(bytes[bytes.index(after: mark)...])))
    }
}
