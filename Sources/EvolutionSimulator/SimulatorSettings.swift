import HTTPServer
import Runtime

/// How the simulator behaves: read from `SIM_*` environment variables at start, changed at run time through
/// `PUT /_sim/settings`, restored by `POST /_sim/reset`.
public struct SimulatorSettings: Sendable, Equatable {
    /// `SIM_API_KEY` (required): the global API key, as Evolution's `AUTHENTICATION_API_KEY`. Never shown by the
    /// control API and never logged. There is no default: a well-known default key is how test servers leak.
    public var apiKey: String
    /// `SIM_QR_PENDING_ANSWERS` (0): how many QR-bearing answers (create, connect) after a socket starts come
    /// before the QR code "arrives". Until then they carry the instance's current QR object: `{"count":0}` for a
    /// new instance, the stale previous QR code after a logout (Evolution never clears it).
    public var qrPendingAnswers: Int = 0
    /// `SIM_QR_DELAY_MS` (0): how long after a socket starts its first QR code arrives by itself, as Baileys makes
    /// it asynchronously (then `qrcode.updated` is pushed whether anyone asks or not). Until then create and
    /// connect answer `{"count":0}`; with a delay, `SIM_QR_PENDING_ANSWERS` is not used.
    public var qrDelayMilliseconds: Int = 0
    /// `SIM_QR_ROTATE_SECONDS` (45, 0 = never): how long a QR code lives before the next one (count + 1).
    public var qrRotateSeconds: Int = 45
    /// `SIM_QR_LIMIT` (30): the QR code count at which Evolution gives up (`refused`, then `close`).
    public var qrLimit: Int = 30
    /// `SIM_AUTO_SCAN_SECONDS` (off): a phone "scans" the QR code this many seconds after it is first shown.
    public var autoScanSeconds: Int?
    /// `SIM_RECONNECT_MS` (1000): how long an instance dropped with a code Evolution repairs by itself (428, 440, 500,
    /// 515) stays `connecting` before it is `open` again, without a webhook either way.
    public var reconnectMilliseconds: Int = 1000
    /// `SIM_RECONNECT_CLOSE_MS` (0): how long such a drop reads `close` first (Evolution passes through `close` while
    /// it restarts the socket, without a webhook), before those `reconnectMs` of `connecting`.
    public var reconnectCloseMilliseconds: Int = 0
    /// `SIM_DELETE_CLEANUP_MS` (0): how long a deleted instance's name stays "in use" after delete answered.
    public var deleteCleanupMilliseconds: Int = 0
    /// `SIM_HOLD_DELETED_UNTIL_DELIVERED` (false): a deleted instance keeps its name ("in use", state `close`) until
    /// its `remove.instance` webhook was delivered or given up, as Evolution 2.3 awaits that delivery (retries
    /// included) before removing the instance; without a webhook that delivers it, the name is freed at once.
    public var holdsDeletedNameUntilRemoveDelivered: Bool = false
    /// `SIM_CONNECT_WAIT_MS` (0): the wait before `/connect` answers when it starts a socket (Evolution: 2000).
    public var connectWaitMilliseconds: Int = 0
    /// `SIM_WEBHOOK_ATTEMPTS` (3): delivery attempts per webhook (Evolution: 10).
    public var webhookAttempts: Int = 3
    /// `SIM_WEBHOOK_TIMEOUT_MS` (5000): the deadline of one delivery attempt (Evolution: 30000).
    public var webhookTimeoutMilliseconds: Int = 5000
    /// `SIM_WEBHOOK_RETRY_MS` (200): the first retry delay, doubled per attempt (Evolution: 5 s, capped at 300 s).
    public var webhookRetryMilliseconds: Int = 200
    /// `SIM_WEBHOOK_DELIVERY` (`normal`): `drop` generates and records webhooks but never sends them; `fail` sends
    /// each once and counts it as failed, without retry (for tests of a client's fallback to polling).
    public var webhookDeliveryMode: WebhookDeliveryMode = .normal
    /// `SIM_WEBHOOK_DELAY_MS` (0): how long each delivery waits before its first attempt (a slow Evolution).
    public var webhookDelayMilliseconds: Int = 0
    /// `SIM_EXPOSE_TOKEN_IN_WEBHOOKS` (false): put the instance token in the envelope's `apikey`, as Evolution's
    /// `AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES=true`; otherwise it is `null`.
    public var exposeTokenInWebhooks: Bool = false
    /// `SIM_SERVER_URL` (`http://127.0.0.1`): the envelope's `server_url`.
    public var serverURL: String = "http://127.0.0.1"
    /// `SIM_TIME_ZONE_OFFSET_MINUTES` (0): the time zone of the simulated host, in minutes east of UTC (−720 to 840).
    /// Evolution writes `date_time` as its host's local wall-clock time with a `Z` stuck on (`Date.now() - tzoffset`,
    /// docs/webhooks.md): a node in São Paulo (−180) sends times three hours behind UTC. The token's `iat` stays
    /// UTC, as Evolution's `Date.now()`.
    public var timeZoneOffsetMinutes: Int = 0

    /// The range of ``timeZoneOffsetMinutes``: UTC−12 to UTC+14, every time zone there is.
    public static let timeZoneOffsetRange = -720...840

    /// Settings with every default and `apiKey`.
    public init(apiKey: String) {
        self.apiKey = apiKey
    }

    /// Reads the `SIM_*` variables; the error names the variable at fault, never its value.
    public static func load(from environment: [String: String]) throws(ConfigurationError) -> SimulatorSettings {
        guard let apiKey = environment["SIM_API_KEY"], !apiKey.isEmpty else {
            throw ConfigurationError(variable: "SIM_API_KEY", problem: "is not set")
        }
        guard apiKey.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw ConfigurationError(
                variable: "SIM_API_KEY", problem: "must not contain spaces or control characters")
        }
        var settings = SimulatorSettings(apiKey: apiKey)
        func number(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int(text),
                range.contains(value)
            else {
                throw ConfigurationError(
                    variable: name, problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        if let value = try number("SIM_QR_PENDING_ANSWERS", 0...1000) { settings.qrPendingAnswers = value }
        if let value = try number("SIM_QR_DELAY_MS", 0...600_000) { settings.qrDelayMilliseconds = value }
        if let value = try number("SIM_QR_ROTATE_SECONDS", 0...86_400) { settings.qrRotateSeconds = value }
        if let value = try number("SIM_QR_LIMIT", 1...1000) { settings.qrLimit = value }
        settings.autoScanSeconds = try number("SIM_AUTO_SCAN_SECONDS", 0...86_400)
        if let value = try number("SIM_DELETE_CLEANUP_MS", 0...600_000) { settings.deleteCleanupMilliseconds = value }
        if let value = try number("SIM_RECONNECT_MS", 0...600_000) { settings.reconnectMilliseconds = value }
        if let value = try number("SIM_RECONNECT_CLOSE_MS", 0...600_000) { settings.reconnectCloseMilliseconds = value }
        if let value = try number("SIM_CONNECT_WAIT_MS", 0...60_000) { settings.connectWaitMilliseconds = value }
        if let value = try number("SIM_WEBHOOK_ATTEMPTS", 1...20) { settings.webhookAttempts = value }
        if let value = try number("SIM_WEBHOOK_TIMEOUT_MS", 1...300_000) { settings.webhookTimeoutMilliseconds = value }
        if let value = try number("SIM_WEBHOOK_RETRY_MS", 0...300_000) { settings.webhookRetryMilliseconds = value }
        if let value = try number("SIM_WEBHOOK_DELAY_MS", 0...600_000) { settings.webhookDelayMilliseconds = value }
        settings.timeZoneOffsetMinutes = try timeZoneOffset(in: environment)
        if let text = environment["SIM_WEBHOOK_DELIVERY"], !text.isEmpty {
            guard let mode = WebhookDeliveryMode(rawValue: text) else {
                throw ConfigurationError(variable: "SIM_WEBHOOK_DELIVERY", problem: "must be normal, drop or fail")
            }
            settings.webhookDeliveryMode = mode
        }
        switch environment["SIM_HOLD_DELETED_UNTIL_DELIVERED"]?.lowercased() {
        case nil, "", "false", "0": settings.holdsDeletedNameUntilRemoveDelivered = false
        case "true", "1": settings.holdsDeletedNameUntilRemoveDelivered = true
        default:
            throw ConfigurationError(variable: "SIM_HOLD_DELETED_UNTIL_DELIVERED", problem: "must be true or false")
        }
        switch environment["SIM_EXPOSE_TOKEN_IN_WEBHOOKS"]?.lowercased() {
        case nil, "", "false", "0": settings.exposeTokenInWebhooks = false
        case "true", "1": settings.exposeTokenInWebhooks = true
        default:
            throw ConfigurationError(variable: "SIM_EXPOSE_TOKEN_IN_WEBHOOKS", problem: "must be true or false")
        }
        if let url = environment["SIM_SERVER_URL"], !url.isEmpty { settings.serverURL = url }
        return settings
    }

    /// `SIM_TIME_ZONE_OFFSET_MINUTES`: a whole number of minutes, signed, within ``timeZoneOffsetRange``; 0 unset.
    private static func timeZoneOffset(in environment: [String: String]) throws(ConfigurationError) -> Int {
        let name = "SIM_TIME_ZONE_OFFSET_MINUTES"
        guard let text = environment[name], !text.isEmpty else { return 0 }
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.count <= 4, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = Int(text), timeZoneOffsetRange.contains(value)
        else {
            throw ConfigurationError(variable: name, problem: "must be a whole number of minutes from -720 to 840")
        }
        return value
    }
}
