import HTTPServer
import Testing

@Suite("Request parsing from FastCGI parameters")
struct HTTPRequestParsingTests {
    private let nginxGet: [(name: String, value: String)] = [
        ("FCGI_ROLE", "RESPONDER"), ("HTTP_PROXY", ""), ("REQUEST_ID", "0123456789abcdef0123456789abcdef"),
        ("QUERY_STRING", "a=1"), ("REQUEST_METHOD", "GET"), ("CONTENT_TYPE", ""), ("CONTENT_LENGTH", ""),
        ("REQUEST_URI", "/api/tenants/t1%2F..%2Ft2/whatsapp/status?a=1&b=%20"), ("REMOTE_ADDR", "127.0.0.1"),
        ("REMOTE_USER", "mallory"), ("HTTP_HOST", "localhost"), ("HTTP_AUTHORIZATION", "Bearer x.y.z"),
        ("HTTP_X_FORWARDED_FOR", "10.0.0.1"),
    ]

    @Test func takesTheRawPathAndQueryFromRequestURI() {
        let request = HTTPRequest(fastCGIParameters: nginxGet)
        #expect(request.method == .get)
        #expect(request.path == "/api/tenants/t1%2F..%2Ft2/whatsapp/status")
        #expect(request.query == "a=1&b=%20")
    }

    @Test func turnsHTTPParametersIntoHeaders() {
        let request = HTTPRequest(fastCGIParameters: nginxGet)
        #expect(request.headers["Authorization"] == "Bearer x.y.z")
        #expect(request.headers["x-forwarded-for"] == "10.0.0.1")
        #expect(request.headers["host"] == "localhost")
    }

    @Test func dropsEmptyParametersAndNeverTrustsRemoteUser() {
        let request = HTTPRequest(fastCGIParameters: nginxGet)
        #expect(request.headers["proxy"] == nil)
        #expect(request.headers["content-type"] == nil)
        #expect(request.headers["content-length"] == nil)
        #expect(request.headers.allSatisfy { !$0.value.contains("mallory") })
    }

    @Test func keepsNginxRequestID() {
        #expect(HTTPRequest(fastCGIParameters: nginxGet).requestID == "0123456789abcdef0123456789abcdef")
    }

    @Test(arguments: [nil, "", "has space", "new\nline", String(repeating: "a", count: 65)])
    func generatesARequestIDWhenNginxSentNoneOrABadOne(candidate: String?) {
        var parameters = nginxGet.filter { $0.name != "REQUEST_ID" }
        if let candidate { parameters.append(("REQUEST_ID", candidate)) }
        let id = HTTPRequest(fastCGIParameters: parameters).requestID
        #expect(id.count == 32)
        #expect(id.allSatisfy { $0.isHexDigit })
        #expect(id != HTTPRequest(fastCGIParameters: parameters).requestID)
    }

    @Test func readsTheDeclaredContentLengthOnlyWhenItIsANumber() {
        #expect(HTTPRequest.declaredContentLength(in: [("CONTENT_LENGTH", "42")]) == 42)
        #expect(HTTPRequest.declaredContentLength(in: [("CONTENT_LENGTH", "")]) == nil)
        #expect(HTTPRequest.declaredContentLength(in: [("CONTENT_LENGTH", "-1")]) == nil)
        #expect(HTTPRequest.declaredContentLength(in: [("CONTENT_LENGTH", "99999999999999999999999")]) == nil)
        #expect(HTTPRequest.declaredContentLength(in: []) == nil)
    }

    @Test func aMissingRequestURIMeansTheRoot() {
        #expect(HTTPRequest(fastCGIParameters: [("REQUEST_METHOD", "POST")]).path == "/")
    }
}

/// nginx's marker of nchan's subrequests is a parameter no client header can produce.
@Suite("Subrequest marker from FastCGI parameters")
struct SubrequestMarkerTests {
    @Test func eventsSubrequestIsReadFromItsOwnParameterOnly() {
        let marked = HTTPRequest(fastCGIParameters: [
            ("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/e"), ("EVENTS_SUBREQUEST", "authorize"),
        ])
        #expect(marked.subrequest == "authorize")
        let forged = HTTPRequest(fastCGIParameters: [
            ("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/e"), ("HTTP_EVENTS_SUBREQUEST", "authorize"),
        ])
        #expect(forged.subrequest == nil)
        #expect(forged.headers["events-subrequest"] == "authorize")
    }
}
