import HTTPClient
import JSON
import Runtime

/// The Evolution API (v2.3.x) as typed calls: create, connect (QR code), connection state, logout, delete and fetch
/// instances.
///
/// One client per worker thread: it owns one libcurl handle, so calls to the same server reuse a kept-alive
/// connection. Each call has the configured deadline. The global API key travels only in the `apikey` header;
/// it appears in no error, description or log record.
public final class EvolutionClient {
    /// The server, key and deadline.
    public let configuration: EvolutionConfiguration
    /// When the caller must have its answer: each call gets at most the time left (and the configured deadline at
    /// most); a call after it fails with ``EvolutionError/timeout`` at once. Nil: only the configured deadline.
    public var deadline: ContinuousClock.Instant?
    private let http: HTTPClient

    /// A client for `configuration` with its own libcurl handle.
    public init(configuration: EvolutionConfiguration) throws(EvolutionError) {
        self.configuration = configuration
        do {
            self.http = try HTTPClient()
        } catch {
            throw .transport(curlCode: nil)
        }
    }

    /// `POST /instance/create` with `{"instanceName", "integration":"WHATSAPP-BAILEYS", "qrcode":true}` (201), and
    /// `"number"` (digits only) for a pairing code: the QR object then carries `pairingCode` too.
    ///
    /// 403 `This name "x" is already in use.` is ``EvolutionError/nameInUse`` (Evolution answers it before checking
    /// the key). The answer's QR code is often `.qrCodePending`: poll ``connect(instance:number:)`` then.
    public func createInstance(
        named name: String, number: String? = nil
    ) throws(EvolutionError)
        -> EvolutionCreatedInstance
    {
        try createInstance(named: name, number: number, webhook: nil)
    }

    /// ``createInstance(named:number:)`` carrying `webhook` (always with its `events`: Evolution 2.3.x rolls the
    /// create back without them).
    func createInstance(
        named name: String, number: String?, webhook: EvolutionWebhook?
    ) throws(EvolutionError) -> EvolutionCreatedInstance {
        var members: [(String, JSONValue)] = [
            ("instanceName", .string(name)), ("integration", "WHATSAPP-BAILEYS"), ("qrcode", true),
        ]
        if let number { members.append(("number", .string(number))) }
        if let webhook { members.append(("webhook", webhook.json)) }
        let body = JSONValue.object(members)
        let answer = try exchange(.post, "/instance/create", body: body)
        if answer.status == 403, answer.messages.contains(where: { $0.contains("already in use") }) {
            throw .nameInUse
        }
        return try EvolutionResponseDecoder.createdInstance(from: answer.successBody())
    }

    /// `GET /instance/connect/{name}`: a QR code, `.qrCodePending` (`{"count":0}`), or `.state(.open)` when
    /// already connected. HTTP 200 `{"error":true,…}` is ``EvolutionBadResponse/failureReported(message:)``.
    ///
    /// With `number` (`?number=`, digits only) an instance in `close` starts in pairing-code mode: its QR objects
    /// carry `pairingCode` (`.pairingCode` while the image is not there yet). Evolution ignores `number` on an
    /// instance that is already `connecting`.
    public func connect(instance name: String, number: String? = nil) throws(EvolutionError) -> EvolutionConnectResult {
        let query = number.map { "?number=" + Self.pathSegment($0) } ?? ""
        let answer = try exchange(.get, "/instance/connect/" + Self.pathSegment(name) + query)
        return try EvolutionResponseDecoder.connectResult(from: answer.successBody(), field: "$")
    }

    /// `GET /instance/connectionState/{name}`: the live state. A missing `state` (an instance in Evolution's
    /// database but not in its memory) is `.close`: there is no socket.
    public func connectionState(instance name: String) throws(EvolutionError) -> EvolutionConnectionState {
        let answer = try exchange(.get, "/instance/connectionState/" + Self.pathSegment(name))
        return try EvolutionResponseDecoder.connectionState(from: answer.successBody())
    }

    /// `DELETE /instance/logout/{name}`. The instance stays (state `close`); `/connect` makes a new QR code.
    public func logout(instance name: String) throws(EvolutionError) -> EvolutionLogoutResult {
        let answer = try exchange(.delete, "/instance/logout/" + Self.pathSegment(name))
        if answer.status == 400, answer.messages.contains(where: { $0.hasSuffix("is not connected") }) {
            return .wasNotConnected
        }
        let body = try answer.successBody()
        if body["response"]?["message"]?.stringValue == "Instance was already disconnected" {
            return .wasNotConnected
        }
        return .loggedOut
    }

    /// `DELETE /instance/delete/{name}` (Evolution logs out first when needed).
    ///
    /// Evolution answers before its clean-up ends: re-creating the same name at once may get
    /// ``EvolutionError/nameInUse`` for a while.
    public func deleteInstance(named name: String) throws(EvolutionError) {
        let answer = try exchange(.delete, "/instance/delete/" + Self.pathSegment(name))
        if answer.status == 400, answer.messages.contains(where: { $0.contains("needs to be disconnected") }) {
            throw .needsLogout
        }
        _ = try answer.successBody()
    }

    /// `GET /webhook/find/{name}`: the instance's webhook row, or nil when it has none (Evolution answers `null`).
    func findWebhook(instance name: String) throws(EvolutionError) -> JSONValue? {
        let answer = try exchange(.get, "/webhook/find/" + Self.pathSegment(name))
        let body = try answer.successBody()
        if body.isNull { return nil }
        guard body.objectMembers != nil else { throw .badResponse(.unexpectedShape(field: "$")) }
        return body
    }

    /// `POST /webhook/set/{name}` with `{"webhook":{…}}` (201).
    func setWebhook(_ webhook: EvolutionWebhook, instance name: String) throws(EvolutionError) {
        let answer = try exchange(.post, "/webhook/set/" + Self.pathSegment(name), body: ["webhook": webhook.json])
        _ = try answer.successBody()
    }

    /// `GET /instance/fetchInstances[?instanceName=]`: every instance, or the one named (404 when unknown).
    public func fetchInstances(named name: String? = nil) throws(EvolutionError) -> [EvolutionInstanceSummary] {
        let query = name.map { "?instanceName=" + Self.pathSegment($0) } ?? ""
        let answer = try exchange(.get, "/instance/fetchInstances" + query)
        return try EvolutionResponseDecoder.instanceSummaries(from: answer.successBody())
    }

    // MARK: - One exchange

    /// Sends one request with the key and JSON headers, and turns transport failures into ``EvolutionError``.
    private func exchange(
        _ method: HTTPClientMethod, _ path: String, body: JSONValue? = nil
    ) throws(EvolutionError) -> EvolutionAnswer {
        var headers: [(name: String, value: String)] = [
            ("apikey", configuration.apiKey), ("Accept", "application/json"),
        ]
        // Evolution reads no body without this header (it sees `{}`); a POST without a body sends it too.
        if body != nil || method == .post { headers.append(("Content-Type", "application/json")) }
        let request = HTTPClientRequest(
            method: method, url: configuration.baseURL + path, headers: headers,
            body: body?.serialized() ?? (method == .post ? [] : nil),
            timeoutMilliseconds: try timeoutForNextCall())
        let response: HTTPClientResponse
        do {
            response = try http.send(request)
        } catch {
            throw Self.mapped(error)
        }
        return EvolutionAnswer(status: response.status, body: response.body)
    }

    /// The configured per-call deadline, shortened to what is left before ``deadline``.
    private func timeoutForNextCall() throws(EvolutionError) -> Int {
        guard let deadline else { return configuration.timeoutMilliseconds }
        let left = Int(((deadline - .now) / .milliseconds(1)).rounded(.down))
        guard left > 0 else { throw .timeout }
        return min(configuration.timeoutMilliseconds, left)
    }

    private static func mapped(_ error: HTTPClientError) -> EvolutionError {
        switch error {
        case .unreachable(let curlCode): .unreachable(curlCode: curlCode)
        case .timeout: .timeout
        case .tooLarge(let limit): .badResponse(.tooLarge(limit: limit))
        case .tls(let curlCode): .tls(curlCode: curlCode)
        case .transport(let curlCode): .transport(curlCode: curlCode)
        case .invalidRequest, .initializationFailed: .transport(curlCode: nil)
        }
    }

    /// An instance name as one path segment (or query value): every byte outside RFC 3986's unreserved set is
    /// percent-encoded, so a name can never add a segment or a query. Evolution (Express) decodes it back.
    static func pathSegment(_ name: String) -> String {
        var encoded = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Hexadecimal.uppercaseDigits
                encoded += "%"
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                encoded.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return encoded
    }
}

@available(*, unavailable, message: "one client per thread: it owns a libcurl handle")
extension EvolutionClient: Sendable {}
