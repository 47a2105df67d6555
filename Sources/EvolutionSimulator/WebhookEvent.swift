import HTTPServer
import JSON
import Runtime

/// The `data` of the webhook events the simulator sends (docs/simulator.md).
enum WebhookEvent {
    /// `connection.update` while a socket starts: `{"instance","state":"connecting","statusReason":200}`.
    static func connecting(_ instance: SimulatedInstance) -> (String, JSONValue) {
        ("connection.update", ["instance": .string(instance.name), "state": "connecting", "statusReason": 200])
    }

    /// `connection.update` once logged in.
    static func open(_ instance: SimulatedInstance) -> (String, JSONValue) {
        (
            "connection.update",
            [
                "instance": .string(instance.name), "wuid": .string(orNull: instance.owner?.wuid),
                "profileName": .string(orNull: instance.owner?.profileName), "profilePictureUrl": .null,
                "state": "open", "statusReason": 200,
            ]
        )
    }

    /// `connection.update` for a final close (401 logged out, 403, 402, 406).
    static func closed(_ instance: SimulatedInstance, statusReason: Int) -> (String, JSONValue) {
        (
            "connection.update",
            ["instance": .string(instance.name), "state": "close", "statusReason": .integer(statusReason)]
        )
    }

    /// `connection.update` when the QR code limit is reached: `refused` with 428.
    static func refused(_ instance: SimulatedInstance) -> (String, JSONValue) {
        var members: [(String, JSONValue)] = [
            ("instance", .string(instance.name)), ("state", "refused"), ("statusReason", 428),
        ]
        if let owner = instance.owner {
            members += [("wuid", .string(owner.wuid)), ("profileName", .string(owner.profileName))]
        }
        members.append(("profilePictureUrl", .null))
        return ("connection.update", .object(members))
    }

    /// `qrcode.updated` with the new QR code.
    static func qrCodeUpdated(_ instance: SimulatedInstance) -> (String, JSONValue) {
        let qr = instance.qrCode
        return (
            "qrcode.updated",
            [
                "qrcode": [
                    "instance": .string(instance.name), "pairingCode": .string(orNull: qr.pairingCode ?? nil),
                    "code": .string(orNull: qr.code), "base64": .string(orNull: qr.dataURL),
                ]
            ]
        )
    }

    /// `qrcode.updated` when the QR code limit is reached.
    static func qrCodeLimitReached() -> (String, JSONValue) {
        ("qrcode.updated", ["message": "QR code limit reached, please login again", "statusCode": 500])
    }

    /// `status.instance` before a final close's `logout.instance` and `connection.update` `close`.
    static func statusClosed(
        _ instance: SimulatedInstance, statusReason: Int, at time: Timestamp
    ) -> (String, JSONValue) {
        (
            "status.instance",
            [
                "instance": .string(instance.name), "status": "closed", "disconnectionAt": .string(time.description),
                "disconnectionReasonCode": .integer(statusReason), "disconnectionObject": .null,
            ]
        )
    }

    /// `logout.instance` (data `null`).
    static func logout() -> (String, JSONValue) { ("logout.instance", .null) }

    /// `instance.create` and `instance.delete`: `{"instanceName","instanceId"}`.
    static func lifecycle(_ event: String, _ instance: SimulatedInstance) -> (String, JSONValue) {
        (event, ["instanceName": .string(instance.name), "instanceId": .string(instance.id)])
    }

    /// `remove.instance` (data `null`).
    static func remove() -> (String, JSONValue) { ("remove.instance", .null) }

    /// The envelope: `{"event","instance","data","destination","date_time","sender"?,"server_url","apikey"}`.
    /// `sender` is left out before the first login; `apikey` is the instance token only when exposing it is on.
    /// `date_time` is `time` on the simulated host's wall clock with a `Z` stuck on, as Evolution writes it.
    static func envelope(
        event: String, data: JSONValue, instance: SimulatedInstance, destination: String, settings: SimulatorSettings,
        time: Timestamp
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("event", .string(event)), ("instance", .string(instance.name)), ("data", data),
            ("destination", .string(destination)),
            ("date_time", .string(localDateTime(time, offsetMinutes: settings.timeZoneOffsetMinutes))),
        ]
        if let owner = instance.owner { members.append(("sender", .string(owner.wuid))) }
        members.append(("server_url", .string(settings.serverURL)))
        members.append(("apikey", settings.exposeTokenInWebhooks ? .string(instance.token) : .null))
        return .object(members)
    }

    /// Evolution's `date_time` of `time` on a host `offsetMinutes` east of UTC: `new Date(Date.now() - tzoffset)
    /// .toISOString()`, the local wall-clock reading written as if it were UTC (docs/webhooks.md, "Evolution's clock").
    static func localDateTime(_ time: Timestamp, offsetMinutes: Int) -> String {
        Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch + Int64(offsetMinutes) * 60_000).description
    }
}
