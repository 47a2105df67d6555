import Foundation
import Runtime

/// Deliveries a test posts through nginx as an Evolution server would: an envelope with the `date_time` the test
/// chooses, and the `Authorization` Evolution 2.3 makes from `jwt_key` (HS256 `{iat, exp: iat+600, app, action}`)
/// signed with the server's secret at the moment the test says it was signed. A replay is the same body with the same
/// `iat`.
struct TestWebhookSender {
    let nginx: TestNginx
    /// `/api/evolution/webhook` (`default`) or `/api/evolution/webhook/{serverId}`.
    let path: String
    let secret: String

    /// The sender of `default`'s deliveries to `stack`, with the stack's webhook secret.
    init(default stack: TestWhatsAppStack) {
        self.init(nginx: stack.nginx, path: "/api/evolution/webhook", secret: TestWhatsAppStack.webhookSecret)
    }

    init(nginx: TestNginx, path: String, secret: String) {
        self.nginx = nginx
        self.path = path
        self.secret = secret
    }

    /// Posts `event` about `instance` with `data` (JSON text), `date_time` `dateTime` (nil: none), signed at `signedAt`
    /// (default: now).
    func send(
        _ event: String, instance: String, data: String = "null", dateTime: String?, signedAt: Timestamp = .now()
    ) throws -> TestHTTPResponse {
        let issuedAt = signedAt.millisecondsSinceEpoch / 1000
        let claims = #"{"iat":\#(issuedAt),"exp":\#(issuedAt + 600),"app":"evolution","action":"webhook"}"#
        let token = TestTokens.token(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: claims, secret: secret)
        let time = dateTime.map { #""date_time":"\#($0)","# } ?? ""
        let body =
            #"{"event":"\#(event)","instance":"\#(instance)","data":\#(data),"destination":"http://127.0.0.1/","#
            + #"\#(time)"server_url":"http://127.0.0.1","apikey":null}"#
        return try nginx.send(
            "POST", path, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")],
            body: Data(body.utf8))
    }

    /// Evolution's `date_time` of the instant `instant` on a host `offsetMinutes` east of UTC: its local wall-clock
    /// time with a `Z` stuck on.
    static func reading(_ instant: Timestamp, offsetMinutes: Int = 0) -> String {
        Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch + Int64(offsetMinutes) * 60_000).description
    }

    /// `instant` moved by `seconds` (negative: earlier).
    static func shifted(_ instant: Timestamp, by seconds: Double) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: instant.millisecondsSinceEpoch + Int64(seconds * 1000))
    }

    /// `connection.update`'s `data` for `state`.
    static func connection(_ state: String, instance: String) -> String {
        #"{"instance":"\#(instance)","state":"\#(state)","statusReason":200}"#
    }
}
