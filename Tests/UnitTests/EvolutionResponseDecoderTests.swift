import JSON
import Testing

@testable import TenantWhatsApp

/// Reading Evolution's answers strictly, and the statuses each answer stands for.
@Suite("Evolution response decoding")
struct EvolutionResponseDecoderTests {
    private func json(_ text: String) throws -> JSONValue { try JSONParser().parse(text) }

    @Test func theThreeShapesOfConnect() throws {
        #expect(try EvolutionResponseDecoder.connectResult(from: json(#"{"count":0}"#), field: "$") == .qrCodePending)
        #expect(
            try EvolutionResponseDecoder.connectResult(
                from: json(#"{"instance":{"instanceName":"x","state":"open"}}"#), field: "$") == .state(.open))
        let qr = try EvolutionResponseDecoder.connectResult(
            from: json(#"{"pairingCode":null,"code":"2@a","base64":"data:image/png;base64,AAAA","count":3}"#),
            field: "$")
        #expect(
            qr
                == .qrCode(
                    EvolutionQRCode(pngDataURL: "data:image/png;base64,AAAA", code: "2@a", pairingCode: nil, count: 3)))
    }

    @Test(arguments: [
        (#"[]"#, "$"), (#"{"count":"0"}"#, "$.count"),
        (#"{"base64":"data:image/jpeg;base64,AA","count":1}"#, "$.base64"),
        (#"{"base64":"data:image/png;base64,","count":1}"#, "$.base64"),
        (#"{"base64":"data:image/png;base64,AA"}"#, "$.count"),
        (#"{"instance":{"state":"weird"}}"#, "$.instance.state"), (#"{"instance":"open"}"#, "$.instance"),
    ])
    func aMalformedConnectAnswerNamesTheField(text: String, field: String) throws {
        #expect(throws: EvolutionError.badResponse(.unexpectedShape(field: field))) {
            try EvolutionResponseDecoder.connectResult(from: try self.json(text), field: "$")
        }
    }

    @Test func connectionStateWithoutAStateIsClose() throws {
        #expect(
            try EvolutionResponseDecoder.connectionState(from: json(#"{"instance":{"instanceName":"x"}}"#)) == .close)
    }

    @Test func createNeedsTheInstanceAndTheHash() throws {
        let created = try EvolutionResponseDecoder.createdInstance(
            from: json(
                #"{"instance":{"instanceName":"x","instanceId":"i","status":"connecting"},"#
                    + #""hash":"T","qrcode":{"count":0}}"#
            ))
        #expect(created.qrCode == .qrCodePending)
        #expect(created.token.value == "T")
        #expect(throws: EvolutionError.badResponse(.unexpectedShape(field: "hash"))) {
            try EvolutionResponseDecoder.createdInstance(
                from: try self.json(
                    #"{"instance":{"instanceName":"x","instanceId":"i","status":"close"},"hash":{"apikey":"v1"}}"#))
        }
    }

    @Test func statusesMapToTypedErrors() {
        let envelope: JSONValue = ["status": 400, "error": "Bad Request", "response": ["message": [["a", "b"]]]]
        #expect(throws: EvolutionError.unauthorized) { try EvolutionAnswer(status: 401, json: nil).successBody() }
        #expect(throws: EvolutionError.notFound) { try EvolutionAnswer(status: 404, json: nil).successBody() }
        #expect(throws: EvolutionError.badResponse(.unexpectedStatus(302))) {
            try EvolutionAnswer(status: 302, json: nil).successBody()
        }
        #expect(throws: EvolutionError.server(status: 400, messages: ["a", "b"])) {
            try EvolutionAnswer(status: 400, json: envelope).successBody()
        }
        #expect(throws: EvolutionError.badResponse(.notJSON)) {
            try EvolutionAnswer(status: 200, body: Array("<html>".utf8)).successBody()
        }
        #expect(throws: EvolutionError.badResponse(.failureReported(message: nil))) {
            try EvolutionAnswer(status: 200, json: ["error": true]).successBody()
        }
    }

    @Test func instanceNamesBecomeOneSafePathSegment() {
        #expect(EvolutionClient.pathSegment("tenant_ab-C.9~") == "tenant_ab-C.9~")
        #expect(EvolutionClient.pathSegment("a/b?c#d e%") == "a%2Fb%3Fc%23d%20e%25")
        #expect(EvolutionClient.pathSegment("ç") == "%C3%A7")
    }
}
