import Foundation
import Testing

/// `GET /api/openapi.yaml` through the real nginx, configured by `scripts/render-nginx` from the production
/// includes: the repository's own `openapi.yaml`, byte for byte, read-only, as `application/yaml`, revalidated with
/// its ETag. nginx answers it alone (a static file), so no responder is started: its socket does not even exist.
@Suite("OpenAPI document through nginx", .serialized)
final class OpenAPIDocumentTests {
    private let directory: URL
    private let nginx: TestNginx
    private static let path = "/api/openapi.yaml"

    init() throws {
        directory = try TestEnvironment.makeScratchDirectory("openapi")
        do {
            nginx = try TestNginx.start(
                in: directory, socketPath: directory.appendingPathComponent("absent.sock").path)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    deinit {
        nginx.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func documentOnDisk() throws -> Data {
        try Data(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("openapi.yaml"))
    }

    @Test func getAnswersTheRepositorysOpenAPIFileAsYAML() throws {
        let response = try nginx.send("GET", Self.path)
        #expect(response.status == 200)
        #expect(response.body == (try Self.documentOnDisk()), "nginx must serve the repository's openapi.yaml")
        #expect(response.text.hasPrefix("openapi: 3.1."))
        #expect(response.headers["content-type"] == "application/yaml")
        #expect(response.headers["cache-control"] == "no-cache")
        #expect(response.headers["x-content-type-options"] == "nosniff")
        #expect(response.headers["x-request-id"]?.count == 32)
        #expect(response.headers["etag"] != nil)
    }

    @Test func headAnswersTheHeadersWithoutTheBody() throws {
        let response = try nginx.send("HEAD", Self.path)
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.headers["content-type"] == "application/yaml")
        #expect(response.headers["content-length"] == String(try Self.documentOnDisk().count))
    }

    @Test func anUnchangedDocumentIsRevalidatedWith304() throws {
        let etag = try #require(try nginx.send("GET", Self.path).headers["etag"])
        let response = try nginx.send("GET", Self.path, headers: [("If-None-Match", etag)])
        #expect(response.status == 304)
        #expect(response.body.isEmpty)
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    func otherMethodsGetTheMethodNotAllowedEnvelopeWithAllow(method: String) throws {
        let response = try nginx.send(method, Self.path)
        #expect(response.status == 405)
        #expect(response.headers["content-type"] == "application/json; charset=utf-8")
        #expect(response.headers["allow"] == "GET, HEAD")
        let body = try response.jsonObject()
        #expect(body["success"] as? Bool == false)
        #expect(body["error"] as? String == "method_not_allowed")
        #expect(body["requestId"] as? String == response.headers["x-request-id"])
    }

    @Test func onlyTheExactPathIsServed() throws {
        // The repository root is not exposed: a neighbour of the document is an ordinary API path (here the
        // responder is absent, so nginx's 503 envelope), never a file.
        let response = try nginx.send("GET", "/api/Package.swift")
        #expect(response.status != 200)
        #expect(response.headers["content-type"] == "application/json; charset=utf-8")
    }
}
