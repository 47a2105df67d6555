/// libFuzzer entry: the input is FastCGI parameters as `NAME=value` lines (a line without `=` is a name with an
/// empty value), turned into an `HTTPRequest` as the bridge does. The request must keep `REQUEST_URI` exactly as
/// path and query, the last `REQUEST_METHOD`, a safe request id, and one header per `HTTP_*`, `CONTENT_TYPE` or
/// `CONTENT_LENGTH` with a value, without line breaks, named without ASCII upper case.
@_cdecl("LLVMFuzzerTestOneInput")
public func fastCGIParametersFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let parameters = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
        line -> (name: String, value: String) in
        guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else {
            return (String(decoding: line, as: UTF8.self), "")
        }
        return (
            String(decoding: line[..<equals], as: UTF8.self),
            String(decoding: line[(equals + 1)...], as: UTF8.self)
        )
    }
    let request = HTTPRequest(fastCGIParameters: parameters, body: bytes)
    guard RequestID.validated(request.requestID) == request.requestID else {
        fatalError("unsafe request id \(Array(request.requestID.utf8))")
    }
    let target = parameters.last(where: { $0.name == "REQUEST_URI" })?.value ?? "/"
    guard !request.path.contains("?"), request.path + (request.query.map { "?" + $0 } ?? "") == target else {
        fatalError("target \(Array(target.utf8)) became \(request.path) ? \(request.query ?? "-")")
    }
    let method = parameters.last(where: { $0.name == "REQUEST_METHOD" })?.value ?? "GET"
    guard request.method.rawValue == method else { fatalError("method \(method) became \(request.method)") }
    let headerCount = parameters.filter { name, value in
        !value.isEmpty
            && (name == "CONTENT_TYPE" || name == "CONTENT_LENGTH"
                || (name.utf8.starts(with: "HTTP_".utf8) && name.utf8.count > 5))
    }.count
    guard Array(request.headers).count == headerCount else { fatalError("\(headerCount) headers expected") }
    for (name, value) in request.headers {
        let lineBreak: (UInt8) -> Bool = { $0 == 0x0D || $0 == 0x0A }
        guard !name.utf8.contains(where: lineBreak), !value.utf8.contains(where: lineBreak),
            !name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
        else {
            fatalError("odd header \(Array(name.utf8)): \(Array(value.utf8))")
        }
    }
    if let length = HTTPRequest.declaredContentLength(in: parameters) {
        guard length >= 0 else { fatalError("negative content length") }
    }
    return 0
}
