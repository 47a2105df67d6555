import JSON

extension SimulatorSettings {
    /// The settings as the control API shows them: everything but the API key.
    var json: JSONValue {
        [
            "qrPendingAnswers": .integer(qrPendingAnswers), "qrDelayMs": .integer(qrDelayMilliseconds),
            "qrRotateSeconds": .integer(qrRotateSeconds),
            "qrLimit": .integer(qrLimit), "autoScanSeconds": autoScanSeconds.map(JSONValue.integer) ?? .null,
            "deleteCleanupMs": .integer(deleteCleanupMilliseconds), "reconnectMs": .integer(reconnectMilliseconds),
            "reconnectCloseMs": .integer(reconnectCloseMilliseconds),
            "connectWaitMs": .integer(connectWaitMilliseconds), "webhookAttempts": .integer(webhookAttempts),
            "webhookTimeoutMs": .integer(webhookTimeoutMilliseconds),
            "webhookRetryMs": .integer(webhookRetryMilliseconds),
            "webhookDeliveryMode": .string(webhookDeliveryMode.rawValue),
            "webhookDelayMs": .integer(webhookDelayMilliseconds),
            "exposeTokenInWebhooks": .bool(exposeTokenInWebhooks),
            "holdDeletedUntilDelivered": .bool(holdsDeletedNameUntilRemoveDelivered), "serverUrl": .string(serverURL),
            "timeZoneOffsetMinutes": .integer(timeZoneOffsetMinutes),
        ]
    }

    /// These settings with the members of `patch` applied; the error names the first bad member. The API key
    /// cannot be changed this way.
    func applying(_ patch: JSONValue) throws(SimulatorControlError) -> SimulatorSettings {
        guard let members = patch.objectMembers else { throw .badRequest("the body must be a JSON object") }
        var settings = self
        for (name, value) in members {
            func integer(_ range: ClosedRange<Int>) throws(SimulatorControlError) -> Int {
                guard let number = value.integerValue, range.contains(number) else {
                    throw .badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
                }
                return number
            }
            switch name {
            case "qrPendingAnswers": settings.qrPendingAnswers = try integer(0...1000)
            case "qrDelayMs": settings.qrDelayMilliseconds = try integer(0...600_000)
            case "qrRotateSeconds": settings.qrRotateSeconds = try integer(0...86_400)
            case "qrLimit": settings.qrLimit = try integer(1...1000)
            case "autoScanSeconds": settings.autoScanSeconds = value.isNull ? nil : try integer(0...86_400)
            case "deleteCleanupMs": settings.deleteCleanupMilliseconds = try integer(0...600_000)
            case "reconnectMs": settings.reconnectMilliseconds = try integer(0...600_000)
            case "reconnectCloseMs": settings.reconnectCloseMilliseconds = try integer(0...600_000)
            case "connectWaitMs": settings.connectWaitMilliseconds = try integer(0...60_000)
            case "webhookAttempts": settings.webhookAttempts = try integer(1...20)
            case "webhookTimeoutMs": settings.webhookTimeoutMilliseconds = try integer(1...300_000)
            case "webhookRetryMs": settings.webhookRetryMilliseconds = try integer(0...300_000)
            case "webhookDelayMs": settings.webhookDelayMilliseconds = try integer(0...600_000)
            case "timeZoneOffsetMinutes": settings.timeZoneOffsetMinutes = try integer(Self.timeZoneOffsetRange)
            case "webhookDeliveryMode":
                guard let mode = value.stringValue.flatMap(WebhookDeliveryMode.init(rawValue:)) else {
                    throw .badRequest("\(name) must be normal, drop or fail")
                }
                settings.webhookDeliveryMode = mode
            case "exposeTokenInWebhooks":
                guard let flag = value.boolValue else { throw .badRequest("\(name) must be true or false") }
                settings.exposeTokenInWebhooks = flag
            case "holdDeletedUntilDelivered":
                guard let flag = value.boolValue else { throw .badRequest("\(name) must be true or false") }
                settings.holdsDeletedNameUntilRemoveDelivered = flag
            case "serverUrl":
                guard let url = value.stringValue else { throw .badRequest("\(name) must be a string") }
                settings.serverURL = url
            default:
                throw .badRequest("unknown setting \(name)")
            }
        }
        return settings
    }
}
