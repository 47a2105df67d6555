import Foundation
import Testing

/// Connect takes an optional body (security case C27): when there is one it must be a JSON object sent as
/// `application/json`; anything else is refused before the database or Evolution is touched.
@Suite("WhatsApp routes: the connect body", .serialized)
final class WhatsAppRequestBodyTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let tenant = TestWhatsAppStack.newTenantID("body")

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "body")
        try stack.insertTenant(tenant)
    }

    deinit {
        stack.stop()
    }

    private func connect(contentType: String, body: String) throws -> TestHTTPResponse {
        try stack.nginx.send(
            "POST", "/api/tenants/\(tenant)/whatsapp/connect",
            headers: [
                ("Authorization", "Bearer \(TestWhatsAppStack.token(for: tenant))"), ("Content-Type", contentType),
            ],
            body: Data(body.utf8))
    }

    @Test func aBodyThatIsNotJSONIs415AndTouchesNothing() throws {
        let response = try connect(contentType: "text/plain", body: "hello")
        WhatsAppExpectations.expectError(response, status: 415, code: "unsupported_media_type")
        #expect(try sim.callLog().isEmpty)
        #expect(try stack.auditRows(tenant: tenant).isEmpty)
        #expect(try stack.storedInstanceName(of: tenant) == nil)
    }

    @Test(arguments: ["[1]", "\"x\"", "{\"a\":1,\"a\":2}", "{\"a\":", "{}{}"])
    func aJSONBodyThatIsNotOneObjectIs400InvalidBody(body: String) throws {
        let response = try connect(contentType: "application/json", body: body)
        WhatsAppExpectations.expectError(response, status: 400, code: "invalid_body", "\(body)")
        #expect(try sim.callLog().isEmpty)
        #expect(try stack.auditRows(tenant: tenant).isEmpty)
    }

    /// Worker threads run on 512 KiB stacks: the deepest body the parser accepts (64 levels), and one past it, are
    /// parsed on one without harm, and the responder goes on answering.
    @Test(arguments: [64, 65, 2500])
    func aDeeplyNestedBodyIsParsedOnAWorkerStackWithoutHarm(depth: Int) throws {
        let body = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        let response = try connect(contentType: "application/json", body: body)
        if depth <= 64 {
            #expect(response.status == 201 || response.status == 200, "\(response.text)")
        } else {
            WhatsAppExpectations.expectError(response, status: 400, code: "invalid_body", "depth \(depth)")
        }
        #expect(try stack.nginx.send("GET", "/api/health").status == 200)
    }

    @Test func aJSONObjectWithACharsetIsAccepted() throws {
        let response = try connect(contentType: "application/json; charset=utf-8", body: #"{"note":"é"}"#)
        #expect(response.status == 201, "\(response.text)")
    }
}
