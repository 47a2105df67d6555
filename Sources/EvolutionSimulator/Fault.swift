import JSON

/// A fault injected through `POST /_sim/faults`: the next `remaining` calls of a route (optionally for one
/// instance) get it instead of, or (``Kind/passthrough``) after a delay before, the normal answer.
struct Fault: Sendable, Equatable {
    /// What the faulty answer looks like.
    enum Kind: String, Sendable, CaseIterable {
        /// `status` with `body` (JSON) or `text`, as `application/json` unless `contentType` says otherwise.
        case status
        /// An HTML error page with `status` (default 200), as a proxy in front of Evolution might send.
        case html
        /// A JSON body of `sizeBytes` with a `Content-Length`.
        case oversize
        /// A body of `sizeBytes` streamed without a length (chunked through nginx), `chunkBytes` every
        /// `intervalMs`: an oversize chunked body, or a slow drip.
        case stream
        /// Headers announcing `sizeBytes`, then a few bytes and the end: the connection closes mid-body.
        case truncate
        /// Bytes that are not a CGI response: nginx answers its own 502 page.
        case invalid
        /// `302 Found` to `location` (clients must not follow it).
        case redirect
        /// The normal answer, after `delayMs`.
        case passthrough
    }

    /// The route name (`create`, `connect`, …) or `*` for every Evolution route.
    var route: String
    /// Only calls about this instance, when set.
    var instance: String?
    var kind: Kind
    /// Calls still to fault.
    var remaining: Int
    var delayMilliseconds: Int
    var status: Int
    var body: JSONValue?
    var text: String?
    var contentType: String?
    var location: String?
    var sizeBytes: Int
    var chunkBytes: Int
    var intervalMilliseconds: Int

    /// A fault from the control API's JSON; the error names the bad member.
    init(json: JSONValue) throws(SimulatorControlError) {
        guard json.objectMembers != nil else { throw .badRequest("the body must be a JSON object") }
        guard let route = json["route"]?.stringValue,
            route == "*" || EvolutionRoute(rawValue: route) != nil
        else {
            throw .badRequest(
                "route must be * or one of " + EvolutionRoute.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.route = route
        instance = json["instance"]?.stringValue
        guard let kind = Kind(rawValue: json["kind"]?.stringValue ?? "status") else {
            throw .badRequest("kind must be one of " + Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.kind = kind
        func integer(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws(SimulatorControlError) -> Int {
            guard let value = json[name], !value.isNull else { return fallback }
            guard let number = value.integerValue, range.contains(number) else {
                throw .badRequest("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        remaining = try integer("times", 1, 1...1_000_000)
        delayMilliseconds = try integer("delayMs", 0, 0...120_000)
        status = try integer("status", kind == .redirect ? 302 : (kind == .status ? 500 : 200), 100...599)
        sizeBytes = try integer("sizeBytes", 2 * 1024 * 1024, 1...64 * 1024 * 1024)
        chunkBytes = try integer("chunkBytes", 64 * 1024, 1...1024 * 1024)
        intervalMilliseconds = try integer("intervalMs", 0, 0...60_000)
        body = json["body"]
        text = json["text"]?.stringValue
        contentType = json["contentType"]?.stringValue
        location = json["location"]?.stringValue
        if kind == .redirect, location == nil { throw .badRequest("a redirect needs a location") }
    }

    /// Whether this fault applies to a call of `route` about `instance`.
    func matches(route: EvolutionRoute, instance: String?) -> Bool {
        (self.route == "*" || self.route == route.rawValue) && (self.instance == nil || self.instance == instance)
    }

    /// The fault as the control API lists it.
    var json: JSONValue {
        [
            "route": .string(route), "instance": .string(orNull: instance), "kind": .string(kind.rawValue),
            "remaining": .integer(remaining), "delayMs": .integer(delayMilliseconds), "status": .integer(status),
        ]
    }
}
