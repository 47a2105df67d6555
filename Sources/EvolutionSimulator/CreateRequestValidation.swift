import JSON

/// The JSON-schema checks of `POST /instance/create` (`src/validate/instance.schema.ts`), with the `jsonschema`
/// library's messages after Evolution strips their `instance.` prefix.
enum CreateRequestValidation {
    static let stringFields = [
        "instanceName", "token", "number", "msgCall", "proxyHost", "proxyPort", "proxyProtocol", "proxyUsername",
        "proxyPassword", "webhookUrl",
    ]
    static let booleanFields = [
        "qrcode", "rejectCall", "groupsIgnore", "alwaysOnline", "readMessages", "readStatus", "syncFullHistory",
        "webhookByEvents", "webhookBase64", "rabbitmqEnabled", "sqsEnabled",
    ]
    /// The integrations `channelController.init` knows; anything else is `Invalid integration`.
    static let integrations = ["WHATSAPP-BAILEYS", "WHATSAPP-BUSINESS", "EVOLUTION"]

    /// Every schema error of `body`, in schema order (empty when valid).
    static func schemaErrors(in body: JSONValue) -> [String] {
        guard let members = body.objectMembers else { return ["is not of a type(s) object"] }
        var errors: [String] = []
        for field in stringFields {
            if let value = body[field], value.stringValue == nil {
                errors.append("\(field) is not of a type(s) string")
            }
        }
        if let number = body["number"]?.stringValue, !matchesNumberPattern(number) {
            errors.append(#"number does not match pattern "^\\d+[\\.@\\w-]+""#)
        }
        for field in booleanFields {
            if let value = body[field], value.boolValue == nil { errors.append("\(field) is not of a type(s) boolean") }
        }
        // isNotEmpty('instanceName') only applies when instanceName is the body's only key (#1005, #1151).
        if members.count == 1, members[0].0 == "instanceName", members[0].1.stringValue == "" {
            errors.append(#"The "instanceName" cannot be empty"#)
        }
        return errors
    }

    /// `^\d+[\.@\w-]+` (not anchored at the end): digits, then one more of `.@`, a word character or `-`.
    static func matchesNumberPattern(_ number: String) -> Bool {
        let bytes = Array(number.utf8)
        var index = 0
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        guard index > 0 else { return false }
        // \d+ backtracks: with two or more digits the last digit satisfies the class.
        if index >= 2 { return true }
        guard index < bytes.count else { return false }
        let next = bytes[index]
        return next == UInt8(ascii: ".") || next == UInt8(ascii: "@") || next == UInt8(ascii: "-")
            || next == UInt8(ascii: "_") || isDigit(next)
            || (next | 0x20 >= UInt8(ascii: "a") && next | 0x20 <= UInt8(ascii: "z"))
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// How JavaScript's template literal prints a value in `This name "${…}" is already in use.`
    static func templateText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .integer(let number): String(number)
        case .number(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .array, .object: "[object Object]"
        }
    }
}
