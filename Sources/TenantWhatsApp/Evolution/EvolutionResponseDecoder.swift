import JSON

/// Reads Evolution's JSON answers into typed values, strictly: a missing field or a field of the wrong type is a
/// ``EvolutionBadResponse/unexpectedShape(field:)`` naming the field.
enum EvolutionResponseDecoder {
    /// The 201 of create: `{"instance":{"instanceName","instanceId","status",…},"hash":"…","qrcode":{…}?,…}`.
    static func createdInstance(from json: JSONValue) throws(EvolutionError) -> EvolutionCreatedInstance {
        let instance = try object(json["instance"], "instance")
        let name = try string(instance["instanceName"], "instance.instanceName")
        let instanceID = try string(instance["instanceId"], "instance.instanceId")
        let status = try state(instance["status"], "instance.status")
        let token = try string(json["hash"], "hash")
        guard !token.isEmpty else { throw shape("hash") }
        let qrCode: EvolutionConnectResult? =
            switch json["qrcode"] {
            case nil, .null?: nil
            case let value?: try connectResult(from: value, field: "qrcode")
            }
        return EvolutionCreatedInstance(
            name: name, instanceID: instanceID, status: status, token: EvolutionInstanceToken(token), qrCode: qrCode)
    }

    /// The answer of connect or restart: the connection-state shape, a QR object (with its `pairingCode` in
    /// pairing-code mode, possibly before its image), or `{"count":0}`.
    static func connectResult(from json: JSONValue, field: String) throws(EvolutionError) -> EvolutionConnectResult {
        _ = try object(json, field)
        if let instance = json["instance"] {
            _ = try object(instance, field + ".instance")
            return .state(try state(instance["state"], field + ".instance.state"))
        }
        if let count = json["count"], count.integerValue == nil { throw shape(field + ".count") }
        let pairingCode = try optionalString(json["pairingCode"], field + ".pairingCode")
        guard let base64 = json["base64"], !base64.isNull else {
            if let pairingCode, !pairingCode.isEmpty { return .pairingCode(pairingCode) }
            return .qrCodePending
        }
        guard let dataURL = base64.stringValue, dataURL.hasPrefix(EvolutionQRCode.pngDataURLPrefix),
            dataURL.utf8.count > EvolutionQRCode.pngDataURLPrefix.utf8.count
        else { throw shape(field + ".base64") }
        guard let count = json["count"]?.integerValue else { throw shape(field + ".count") }
        let code = try optionalString(json["code"], field + ".code")
        return .qrCode(EvolutionQRCode(pngDataURL: dataURL, code: code, pairingCode: pairingCode, count: count))
    }

    /// The answer of connectionState: `{"instance":{"instanceName":"x","state":"open"}}`; no `state` is `.close`.
    static func connectionState(from json: JSONValue) throws(EvolutionError) -> EvolutionConnectionState {
        let instance = try object(json["instance"], "instance")
        guard let value = instance["state"], !value.isNull else { return .close }
        return try state(value, "instance.state")
    }

    /// The answer of fetchInstances: an array of database rows.
    static func instanceSummaries(from json: JSONValue) throws(EvolutionError) -> [EvolutionInstanceSummary] {
        guard let rows = json.arrayValue else { throw shape("$") }
        var summaries: [EvolutionInstanceSummary] = []
        for (index, row) in rows.enumerated() {
            let field = "[\(index)]"
            _ = try object(row, field)
            summaries.append(
                EvolutionInstanceSummary(
                    name: try string(row["name"], field + ".name"), instanceID: try string(row["id"], field + ".id"),
                    connectionStatus: try state(row["connectionStatus"], field + ".connectionStatus"),
                    ownerJID: try optionalString(row["ownerJid"], field + ".ownerJid"),
                    profileName: try optionalString(row["profileName"], field + ".profileName"),
                    integration: try optionalString(row["integration"], field + ".integration"),
                    createdAt: try optionalString(row["createdAt"], field + ".createdAt")))
        }
        return summaries
    }

    // MARK: - Fields

    private static func shape(_ field: String) -> EvolutionError {
        .badResponse(.unexpectedShape(field: field))
    }

    private static func object(_ value: JSONValue?, _ field: String) throws(EvolutionError) -> JSONValue {
        guard let value, value.objectMembers != nil else { throw shape(field) }
        return value
    }

    private static func string(_ value: JSONValue?, _ field: String) throws(EvolutionError) -> String {
        guard let text = value?.stringValue else { throw shape(field) }
        return text
    }

    private static func optionalString(_ value: JSONValue?, _ field: String) throws(EvolutionError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw shape(field)
        }
    }

    private static func state(_ value: JSONValue?, _ field: String) throws(EvolutionError) -> EvolutionConnectionState {
        guard let text = value?.stringValue, let state = EvolutionConnectionState(rawValue: text) else {
            throw shape(field)
        }
        return state
    }
}
