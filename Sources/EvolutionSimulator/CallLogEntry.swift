import HTTPServer
import JSON
import Runtime

/// One Evolution call the simulator received, for `GET /_sim/calls`. Holds no header, body or query string, so
/// no key can ever be read back from it.
struct CallLogEntry: Sendable {
    let method: String
    /// The raw path, without the query.
    let path: String
    /// The route name, or `unknown`.
    let route: String
    /// The instance the call is about, when it names one.
    let instance: String?
    /// The status answered (for a fault, the fault's), or nil when the fault sent no status line.
    var status: Int?
    /// The fault applied, if any.
    var fault: String?
    let time: Timestamp

    var json: JSONValue {
        [
            "method": .string(method), "path": .string(path), "route": .string(route),
            "instance": .string(orNull: instance), "status": status.map(JSONValue.integer) ?? .null,
            "fault": .string(orNull: fault), "time": .string(time.description),
        ]
    }
}
