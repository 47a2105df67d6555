import JSON

/// One HTTP answer from Evolution, before it is judged: the status and the body parsed as JSON when it is JSON.
struct EvolutionAnswer {
    /// The HTTP status.
    let status: Int
    /// The body as JSON, or nil when it is not JSON (HTML, empty, garbage).
    let json: JSONValue?

    /// The longest upstream message kept, in characters; longer ones are cut.
    static let messageLimit = 300

    init(status: Int, body: [UInt8]) {
        self.status = status
        self.json = try? JSONParser().parse(body)
    }

    init(status: Int, json: JSONValue?) {
        self.status = status
        self.json = json
    }

    /// The messages of Evolution's error envelope, `{"status","error","response":{"message":…}}`, flattened: the
    /// message is a string (401, 500), an array (business errors) or an array of arrays (schema errors).
    var messages: [String] {
        guard let message = json?["response"]?["message"] else { return [] }
        var flat: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .string(let text): if flat.count < 10 { flat.append(String(text.prefix(Self.messageLimit))) }
            case .array(let elements): elements.forEach(collect)
            default: break
            }
        }
        collect(message)
        return flat
    }

    /// The JSON body of a successful answer, or the error this answer stands for.
    func successBody() throws(EvolutionError) -> JSONValue {
        switch status {
        case 200...299:
            guard let json else { throw .badResponse(.notJSON) }
            if json["error"]?.boolValue == true {
                throw .badResponse(
                    .failureReported(message: json["message"]?.stringValue.map { String($0.prefix(Self.messageLimit)) })
                )
            }
            return json
        case 401: throw .unauthorized
        case 404: throw .notFound
        case 100...199, 300...399: throw .badResponse(.unexpectedStatus(status))
        default: throw .server(status: status, messages: messages)
        }
    }
}
