import HTTPServer
import JSON
import Runtime

/// One request to an Evolution route, read: its route, the instance it names (percent-decoded, as Express
/// decodes `req.params`), the `apikey` header and the JSON body (`{}` when there is none or it is not JSON-typed).
struct EvolutionCall: Sendable {
    let request: HTTPRequest
    let route: EvolutionRoute
    let instanceName: String?
    let body: JSONValue

    /// The `apikey` header (Express reads headers without regard to case).
    var apiKey: String? { request.headers["apikey"] }

    /// The decoded value of query parameter `name`.
    func query(_ name: String) -> String? {
        PercentDecoding.queryItems(request.query).first { $0.name == name }?.value
    }

    /// The body as Express's `express.json()` sees it: parsed only when `Content-Type` is `application/json`;
    /// otherwise `{}`. A malformed JSON body is an error before any route runs (the offset of the fault).
    static func body(of request: HTTPRequest) -> Result<JSONValue, JSONParseError> {
        let mediaType = request.headers["content-type"]?.split(separator: ";").first.map {
            String($0.trimmingSpaces()).lowercased()
        }
        guard mediaType == "application/json", !request.body.isEmpty else { return .success(.object([])) }
        // JSON.parse keeps duplicate keys (the last wins); accept them rather than refuse what Evolution accepts.
        do {
            return .success(try JSONParser(allowsDuplicateKeys: true).parse(request.body))
        } catch {
            return .failure(error)
        }
    }
}
