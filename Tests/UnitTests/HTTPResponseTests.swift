import HTTPServer
import JSON
import Testing

@Suite("Responses in CGI form")
struct HTTPResponseTests {
    @Test func startsWithTheStatusLineAndEndsHeadersWithABlankLine() {
        let response = HTTPResponse.json(.created, ["ok": true])
        let text = String(decoding: response.serializedForCGI(), as: UTF8.self)
        #expect(text.hasPrefix("Status: 201 Created\r\n"))
        #expect(text.contains("Content-Type: application/json; charset=utf-8\r\n"))
        #expect(text.contains("Content-Length: 11\r\n"))
        #expect(text.hasSuffix("\r\n\r\n{\"ok\":true}"))
    }

    @Test func headerValuesCannotInjectNewHeaders() {
        var headers = HTTPHeaders()
        headers.add(name: "X-Test", value: "a\r\nSet-Cookie: evil=1")
        let text = String(decoding: HTTPResponse(status: .ok, headers: headers).serializedForCGI(), as: UTF8.self)
        #expect(!text.contains("\r\nSet-Cookie"))
        #expect(text.contains("X-Test: aSet-Cookie: evil=1\r\n"))
    }

    @Test func replacingAHeaderRemovesEveryOtherSpelling() {
        var headers = HTTPHeaders([("x-request-id", "client"), ("X-REQUEST-ID", "again")])
        headers.replace(name: "X-Request-Id", value: "server")
        #expect(headers.values(for: "x-request-id") == ["server"])
    }
}
