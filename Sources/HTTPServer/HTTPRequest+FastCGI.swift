extension HTTPRequest {
    /// A request from the FastCGI parameters nginx sends (`nginx/tenant-whatsapp.locations.conf` names them; Debian's
    /// `fastcgi_params` works too, its other parameters are skipped).
    ///
    /// - `REQUEST_URI` gives the raw path and query;
    /// - every `HTTP_*` parameter becomes a header (`HTTP_X_FOO` → `x-foo`); an empty one (such as the
    ///   `HTTP_PROXY ""` that blocks httpoxy) is dropped;
    /// - `CONTENT_TYPE` and `CONTENT_LENGTH` become headers when not empty (nginx sends them empty on GET);
    /// - `REMOTE_USER` is ignored: nginx fills it from any client `Authorization: Basic` header.
    public init(fastCGIParameters parameters: [(name: String, value: String)], body: [UInt8] = []) {
        var reader = FastCGIParameterReader()
        for (name, value) in parameters {
            var name = name
            var value = value
            name.withUTF8 { name in value.withUTF8 { value in reader.add(name: name, value: value) } }
        }
        self = reader.request(body: body)
    }

    /// The declared body length: `CONTENT_LENGTH` as a non-negative integer, or nil when absent or malformed.
    public static func declaredContentLength(in parameters: [(name: String, value: String)]) -> Int? {
        parameters.first(where: { $0.name == "CONTENT_LENGTH" }).flatMap { declaredContentLength(value: $0.value) }
    }

    /// A `CONTENT_LENGTH` value as a non-negative integer: 1 to 18 ASCII digits, else nil.
    static func declaredContentLength(value: String) -> Int? {
        guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(value)
    }
}
