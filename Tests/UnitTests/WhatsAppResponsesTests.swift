import Foundation
import HTTPServer
import Testing

@testable import TenantWhatsApp

@Suite("WhatsApp route payloads")
struct WhatsAppResponsesTests {
    private let tenant = TenantID("cm0r8")!
    private let qrCode = EvolutionQRCode(
        pngDataURL: "data:image/png;base64,iVBORw0KGgo=", code: "2@abc", pairingCode: nil, count: 1)

    private func object(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test func aCreatedInstanceIs201WithTheSeedPayload() throws {
        let outcome = ConnectOutcome(
            kind: .created, instanceName: "tenant_cm0r8", qrCode: qrCode, createdAt: "2025-08-27T14:03:11.532Z")
        let response = WhatsAppResponses.connected(outcome, tenant: tenant)
        #expect(response.status.code == 201)
        let body = try object(response)
        #expect(body["success"] as? Bool == true)
        #expect(body["instanceName"] as? String == "tenant_cm0r8")
        #expect(body["qrcode"] as? String == qrCode.pngDataURL)
        #expect(
            body["message"] as? String == "Instância WhatsApp criada com sucesso. Escaneie o QR Code para conectar.")
        let data = try #require(body["data"] as? [String: Any])
        #expect(data["tenantId"] as? String == "cm0r8")
        #expect(data["instanceName"] as? String == "tenant_cm0r8")
        #expect(data["createdAt"] as? String == "2025-08-27T14:03:11.532Z")
    }

    @Test(arguments: [ConnectOutcome.Kind.reused, .adopted])
    func aReusedOrAdoptedInstanceIs200(kind: ConnectOutcome.Kind) {
        let outcome = ConnectOutcome(kind: kind, instanceName: "tenant_cm0r8", qrCode: qrCode, createdAt: "x")
        #expect(WhatsAppResponses.connected(outcome, tenant: tenant).status.code == 200)
    }

    @Test func noQRCodeYetIs202WithRetryAfterAndANullQRCode() throws {
        let outcome = ConnectOutcome(kind: .created, instanceName: "tenant_cm0r8", qrCode: nil, createdAt: "x")
        let response = WhatsAppResponses.connected(outcome, tenant: tenant)
        #expect(response.status.code == 202)
        #expect(response.headers["Retry-After"] == "3")
        let body = try object(response)
        #expect(body["qrcode"] is NSNull)
        #expect(outcome.auditOutcome == "qr_pending")
    }

    @Test func statusSaysConnectedOnlyWhenOpen() throws {
        for state in [EvolutionConnectionState.open, .connecting, .close] {
            let body = try object(
                WhatsAppResponses.status(state, instanceName: "tenant_cm0r8", tenant: tenant, lastCheck: "t"))
            #expect(body["connected"] as? Bool == (state == .open))
            #expect(body["status"] as? String == state.rawValue)
        }
    }

    @Test func aTenantWithoutInstanceIsNotCreated() throws {
        let body = try object(WhatsAppResponses.notCreated(tenant: tenant, lastCheck: "t"))
        #expect(body["connected"] as? Bool == false)
        #expect(body["instanceName"] is NSNull)
        #expect(body["status"] as? String == "not_created")
        #expect((body["data"] as? [String: Any])?["instanceName"] is NSNull)
    }

    @Test func disconnectCarriesTheSeedMessage() throws {
        let body = try object(WhatsAppResponses.disconnected(tenant: tenant, instanceName: "tenant_cm0r8", at: "t"))
        #expect(body["message"] as? String == "WhatsApp desconectado com sucesso.")
        #expect((body["data"] as? [String: Any])?["disconnectedAt"] as? String == "t")
    }
}

@Suite("Upstream and database failures as envelopes")
struct UpstreamErrorMappingTests {
    @Test(arguments: [
        (EvolutionError.unreachable(curlCode: 7), ErrorCode.upstreamUnavailable),
        (.timeout, .upstreamTimeout),
        (.badResponse(.notJSON), .upstreamBadResponse),
        (.unauthorized, .upstreamError),
        (.server(status: 500, messages: []), .upstreamError),
        (.tls(curlCode: 60), .upstreamError),
        (.transport(curlCode: 18), .upstreamError),
    ])
    func mapsEachEvolutionFailure(error: EvolutionError, code: ErrorCode) {
        #expect(APIError(upstream: error).code == code)
    }

    @Test func ourRefusedKeyIsNeverPassedOnAs401() {
        #expect(APIError(upstream: .unauthorized).code.status.code == 502)
    }
}

@Suite("The request deadline of Evolution calls")
struct EvolutionDeadlineTests {
    @Test func aCallAfterTheDeadlineTimesOutWithoutBeingSent() throws {
        // Port 9 (discard) on loopback: were the call sent, it would fail as unreachable, not as a timeout.
        let client = try EvolutionClient(
            configuration: EvolutionConfiguration(baseURL: "http://127.0.0.1:9", apiKey: "key"))
        client.deadline = .now - .milliseconds(1)
        #expect(throws: EvolutionError.timeout) { try client.connectionState(instance: "tenant_t1") }
    }

    @Test func aCallBeforeTheDeadlineIsSent() throws {
        let client = try EvolutionClient(
            configuration: EvolutionConfiguration(baseURL: "http://127.0.0.1:9", apiKey: "key"))
        client.deadline = .now + .seconds(5)
        #expect(throws: EvolutionError.unreachable(curlCode: 7)) { try client.connectionState(instance: "tenant_t1") }
    }
}
