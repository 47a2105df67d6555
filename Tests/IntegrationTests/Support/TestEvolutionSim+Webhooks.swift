import Foundation

extension TestEvolutionSim {
    /// The simulator's own webhook target as a destination URL: `POST` there is kept for ``receivedWebhooks()``.
    var webhookTargetURL: String { baseURL + "/_sim/webhooks" }

    /// The outgoing deliveries of `GET /_sim/deliveries`, oldest first: `event`, `instance`, `url`, `headers`
    /// (names only), `authorization` (whether one was sent), `outcome`, `attempts`, `status`, `error`.
    func deliveries() throws -> [[String: Any]] {
        try control("GET", "/deliveries")["deliveries"] as? [[String: Any]] ?? []
    }

    /// The received webhooks whose envelope is `event` (and, when given, whose `data.state` is `state`).
    func receivedWebhooks(event: String, state: String? = nil) throws -> [[String: Any]] {
        try receivedWebhooks().filter { received in
            let body = received["body"] as? [String: Any]
            guard body?["event"] as? String == event else { return false }
            return state == nil || (body?["data"] as? [String: Any])?["state"] as? String == state
        }
    }

    /// Waits until a webhook for `event` (with `data.state` `state`, when given) has arrived; returns the first.
    @discardableResult
    func awaitWebhook(event: String, state: String? = nil, timeoutSeconds: Double = 10) throws -> [String: Any] {
        var found: [String: Any]?
        try Wait.until("a \(event) \(state ?? "") webhook arrives", timeoutSeconds: timeoutSeconds) {
            found = try receivedWebhooks(event: event, state: state).first
            return found != nil
        }
        return found ?? [:]
    }

    /// Evolution's `webhook` object as the product registers it: `byEvents` off, `base64` on, a `jwt_key`, the
    /// events it handles; to the simulator's own webhook target.
    func productWebhook(jwtKey: String) -> String {
        #"{"enabled":true,"url":"\#(webhookTargetURL)","byEvents":false,"base64":true,"#
            + #""headers":{"jwt_key":"\#(jwtKey)"},"#
            + #""events":["QRCODE_UPDATED","CONNECTION_UPDATE","LOGOUT_INSTANCE","REMOVE_INSTANCE"]}"#
    }
}
