import Foundation
import HTTPServer
import Testing

@testable import TenantWhatsApp

@Suite("Error envelope")
struct APIErrorTests {
    private func decode(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test func carriesCodeMessageAndRequestID() throws {
        let response = APIError(.tenantForbidden).response(requestID: "abc123")
        #expect(response.status.code == 403)
        let body = try decode(response)
        #expect(body["success"] as? Bool == false)
        #expect(body["error"] as? String == "tenant_forbidden")
        #expect(body["message"] as? String == "Você não tem permissão para gerenciar este tenant.")
        #expect(body["requestId"] as? String == "abc123")
        #expect(body.count == 4)
    }

    @Test func isJSONThatIsNeverCached() {
        let response = APIError(.notFound).response(requestID: "r")
        #expect(response.headers["content-type"] == "application/json; charset=utf-8")
        #expect(response.headers["cache-control"] == "no-store")
    }

    @Test func methodNotAllowedListsTheAllowedMethods() {
        let response = APIError.methodNotAllowed(allowed: [.get, .head]).response(requestID: "r")
        #expect(response.status.code == 405)
        #expect(response.headers["Allow"] == "GET, HEAD")
    }

    @Test(arguments: ErrorCode.allCases)
    func everyCodeHasAStatusAndAPortugueseMessage(code: ErrorCode) {
        #expect((400...599).contains(code.status.code))
        #expect(code.message.hasSuffix("."))
        #expect(code.rawValue.allSatisfy { $0.isLowercase || $0 == "_" })
    }

    @Test func statusesFollowTheContract() {
        #expect(ErrorCode.invalidTenantID.status.code == 400)
        #expect(ErrorCode.tokenExpired.status.code == 401)
        #expect(ErrorCode.instanceNotFound.status.code == 404)
        #expect(ErrorCode.operationInProgress.status.code == 409)
        #expect(ErrorCode.payloadTooLarge.status.code == 413)
        #expect(ErrorCode.upstreamBadResponse.status.code == 502)
        #expect(ErrorCode.databaseUnavailable.status.code == 503)
        #expect(ErrorCode.upstreamTimeout.status.code == 504)
        #expect(ErrorCode.internalError.status.code == 500)
    }
}
