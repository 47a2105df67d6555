import HTTPServer
import Logging
import Runtime

@testable import TenantWhatsApp

/// The webhook route (``EvolutionWebhookHandler``) through in-memory fakes: Evolution servers `default`, `s1` and
/// `s2`, each with its own webhook secret, the tenant rows and the audit trail in memory, and this host's clock fixed
/// at ``now`` (close to the real one, which the tokens are checked on).
struct WebhookTestKit {
    static let tenant = TenantID("t1")!
    static let instance = tenant.instanceName
    static let s1 = EvolutionServerID("s1")!
    static let s2 = EvolutionServerID("s2")!
    /// Each server's webhook secret (Evolution's `jwt_key`).
    static let secrets: [EvolutionServerID: String] = [
        .implicitDefault: TestToken.secret, s1: "s1-webhook-secret-0123456789abcdef-0123",
        s2: "s2-webhook-secret-0123456789abcdef-0123",
    ]

    let audit: FakeAuditRecorder
    /// The tenant rows, appending their state changes' audit rows to ``audit`` as the real statement does.
    let tenants: FakeTenantRepository
    let servers = FakeEvolutionServers(FakeEvolution())
    let clocks: EvolutionServerClocks
    /// This host's clock during the test.
    let now: Timestamp
    let handler: EvolutionWebhookHandler

    /// A kit whose clock reads `now` (the real time by default) and whose server clocks start from `known`.
    init(now: Timestamp = .now(), known: [EvolutionServerID: EvolutionClockOffset] = [:]) throws {
        self.now = now
        audit = FakeAuditRecorder()
        tenants = FakeTenantRepository(audit: audit)
        let logger = Logger(label: "webhook-test") { _ in SwiftLogNoOpLogHandler() }
        for (server, secret) in Self.secrets {
            servers.add(server)
            let settings = try WebhookSettings(url: "http://127.0.0.1/api/evolution/webhook", secret: secret)
            servers.setVerifier(settings.verifier, for: server)
        }
        clocks = EvolutionServerClocks(known: known, store: nil, logger: logger)
        handler = EvolutionWebhookHandler(
            servers: servers, tenants: tenants, audit: audit, clocks: clocks, now: { now }, logger: logger)
    }

    /// Seeds the tenant's instance in `status`, created (or adopted) at `createdAt`, placed on `server`.
    func seedInstance(
        _ status: EvolutionConnectionState, createdAt: Timestamp, on server: EvolutionServerID = .implicitDefault
    ) {
        var row = FakeTenantRepository.Row.instance(Self.instance, status)
        row.createdAt = createdAt.description
        row.server = server
        tenants.seed(Self.tenant, row)
    }

    /// Posts `event` about the tenant's instance as `server` does: `date_time` is `dateTime` as written (nil: none),
    /// the token is signed with the server's secret at `signedAt` (default: this kit's now) and lives ten minutes.
    func deliver(
        _ event: String, data: String = "null", dateTime: String?, signedAt: Timestamp? = nil,
        server: EvolutionServerID = .implicitDefault
    ) -> RouteAnswer {
        let issuedAt = (signedAt ?? now).millisecondsSinceEpoch / 1000
        let token = TestToken.make(
            claims: #"{"iat":\#(issuedAt),"exp":\#(issuedAt + 600),"app":"evolution","action":"webhook"}"#,
            secret: Self.secrets[server] ?? "")
        let time = dateTime.map { #","date_time":"\#($0)""# } ?? ""
        let body = #"{"event":"\#(event)","instance":"\#(Self.instance)","data":\#(data)\#(time),"apikey":null}"#
        let request = HTTPRequest(
            method: .post, path: "/api/evolution/webhook", headers: HTTPHeaders([("Authorization", "Bearer \(token)")]),
            body: Array(body.utf8), requestID: FlowTestKit.requestID)
        let parameters = server == .implicitDefault ? [:] : ["serverId": server.rawValue]
        let context = RequestContext(requestID: FlowTestKit.requestID)
        do {
            return RouteAnswer(try handler.handle(request, parameters: parameters, context: context))
        } catch {
            return RouteAnswer(error.response(requestID: FlowTestKit.requestID))
        }
    }

    /// Evolution's `date_time` for the instant `instant` on a host `offsetMinutes` east of UTC: its local wall-clock
    /// time with a `Z` stuck on.
    static func reading(_ instant: Timestamp, offsetMinutes: Int = 0) -> String {
        Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch + Int64(offsetMinutes) * 60_000).description
    }

    /// `time` moved by `seconds` (negative: earlier).
    static func shifted(_ time: Timestamp, by seconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch + seconds * 1000)
    }

    /// `connection.update`'s `data` for `state`.
    static func connection(_ state: String) -> String {
        #"{"instance":"\#(instance)","state":"\#(state)","statusReason":200}"#
    }

    /// `qrcode.updated`'s `data` with a QR code whose data URL ends in `marker`.
    static func qrCode(_ marker: String) -> String {
        #"{"qrcode":{"instance":"\#(instance)","pairingCode":null,"code":"2@x","base64":"data:image/png;base64,\#(marker)"}}"#
    }
}
