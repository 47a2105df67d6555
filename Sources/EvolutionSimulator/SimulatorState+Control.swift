import HTTPServer
import JSON
import Runtime

/// The control API under `/_sim/` (not Evolution's): drive phones, inject faults, read the call log and the
/// delivery log, reset.
/// Answers are `{"ok":true,…}` or `{"error":"…"}`. Nothing it shows holds the global key.
extension SimulatorState {
    /// Answers one control request.
    mutating func answerControl(_ request: HTTPRequest, now: ContinuousClock.Instant) -> HTTPResponse {
        switch ControlRoute.router.match(method: request.method, path: request.path) {
        case .found(let route, _, let parameters, _):
            do {
                return try respond(to: route, request: request, parameters: parameters, now: now)
            } catch {
                return error.response
            }
        case .methodNotAllowed(let allowed, _):
            return .json(
                .methodNotAllowed, ["error": "method not allowed"],
                headers: HTTPHeaders([("Allow", allowed.map(\.rawValue).joined(separator: ", "))]))
        case .notFound:
            return SimulatorControlError.notFound("no control route \(request.path)").response
        }
    }

    private mutating func respond(
        to route: ControlRoute, request: HTTPRequest, parameters: [String: String], now: ContinuousClock.Instant
    ) throws(SimulatorControlError) -> HTTPResponse {
        let name = parameters["instanceName"].map { PercentDecoding.decode($0) ?? $0 }
        switch route {
        case .scan: return try scanByControl(name ?? "", body: try Self.body(of: request), now: now)
        case .drop: return try dropByControl(name ?? "", body: try Self.body(of: request), now: now)
        case .rotateQRCode:
            guard let instance = instances[name ?? ""] else { throw .notFound("no instance \(name ?? "")") }
            guard instance.state == .connecting else { throw .conflict("instance \(instance.name) is not connecting") }
            showNextQRCode(instance.name, now: now)
            return .json(.ok, ["ok": true, "qrcode": instances[instance.name]?.qrCode.json ?? ["count": 0]])
        case .addFault:
            let fault = try Fault(json: try Self.body(of: request))
            faults.append(fault)
            return .json(.created, ["ok": true, "fault": fault.json])
        case .listFaults: return .json(.ok, ["faults": .array(faults.map(\.json))])
        case .clearFaults:
            faults.removeAll()
            return .json(.ok, ["ok": true])
        case .listCalls: return .json(.ok, ["calls": .array(calls.map(\.json))])
        case .clearCalls:
            calls.removeAll()
            return .json(.ok, ["ok": true])
        case .reset:
            reset()
            return .json(.ok, ["ok": true])
        case .showSettings: return .json(.ok, settings.json)
        case .updateSettings:
            settings = try settings.applying(try Self.body(of: request))
            return .json(.ok, settings.json)
        case .receiveWebhook:
            receiveWebhook(request)
            return .json(.ok, ["ok": true])
        case .listWebhooks: return .json(.ok, ["webhooks": .array(receivedWebhooks)])
        case .clearWebhooks:
            receivedWebhooks.removeAll()
            return .json(.ok, ["ok": true])
        case .listDeliveries: return .json(.ok, deliveryLogJSON)
        case .clearDeliveries:
            deliveryLog.removeAll()
            return .json(.ok, ["ok": true])
        }
    }

    /// `POST /_sim/instances/{name}/scan` `{"wuid"?,"profileName"?}`: a phone scans the QR code.
    private mutating func scanByControl(
        _ name: String, body: JSONValue, now: ContinuousClock.Instant
    ) throws(SimulatorControlError) -> HTTPResponse {
        guard let instance = instances[name] else { throw .notFound("no instance \(name)") }
        guard
            scan(
                name, wuid: body["wuid"]?.stringValue, profileName: body["profileName"]?.stringValue, now: now)
        else { throw .conflict("instance \(name) is \(instance.state.rawValue), not connecting: nothing to scan") }
        return .json(.ok, ["ok": true, "state": "open"])
    }

    /// `POST /_sim/instances/{name}/drop` `{"statusReason"?: 401}`: with a final code (401 the phone logged out; 402,
    /// 403, 406 the account refused; 408) the connection ends for good, with the webhooks Evolution sends for it. With
    /// a code Evolution repairs by itself (428 while open, 440 replaced, 500, 515 restart required) an open instance
    /// reconnects: `close` for `reconnectCloseMs` (0 by default), `connecting` for `reconnectMs`, then `open` again,
    /// and no webhook at all.
    private mutating func dropByControl(
        _ name: String, body: JSONValue, now: ContinuousClock.Instant
    ) throws(SimulatorControlError) -> HTTPResponse {
        guard let instance = instances[name] else { throw .notFound("no instance \(name)") }
        guard instance.state != .close else { throw .conflict("instance \(name) is already closed") }
        let reason = body["statusReason"]?.integerValue ?? 401
        if Self.repairedCodes.contains(reason) {
            guard instance.state == .open else {
                throw .conflict("instance \(name) is \(instance.state.rawValue): only an open one reconnects")
            }
            reconnect(name, statusReason: reason, now: now)
            return .json(.ok, ["ok": true, "state": .string(instances[name]?.state.rawValue ?? "connecting")])
        }
        guard Self.finalCodes.contains(reason) else {
            throw .badRequest(
                "statusReason must be a final close code (401, 402, 403, 406, 408) or one Evolution repairs by itself "
                    + "(428, 440, 500, 515)")
        }
        close(name, statusReason: reason, now: now)
        return .json(.ok, ["ok": true, "state": "close"])
    }

    /// Close codes after which Evolution does not reconnect.
    static let finalCodes: Set<Int> = [401, 402, 403, 406, 408]
    /// Close codes Evolution repairs by reconnecting by itself.
    static let repairedCodes: Set<Int> = [428, 440, 500, 515]

    /// `POST /_sim/webhooks[/…]`: the simulator as a webhook target keeps the path, the time, the headers (names
    /// in lower case, as nginx passes them; an `apikey` is left out, so that nothing shown holds the global key)
    /// and the body. The headers include an `Authorization`: tests verify what a client would receive.
    private mutating func receiveWebhook(_ request: HTTPRequest) {
        if receivedWebhooks.count >= Self.receivedWebhookLimit { receivedWebhooks.removeFirst() }
        let headers = request.headers.filter { $0.name != "apikey" }.map { ($0.name, JSONValue.string($0.value)) }
        receivedWebhooks.append([
            "path": .string(request.path), "receivedAt": .string(Timestamp.now().description),
            "headers": .object(headers),
            "body": (try? JSONParser(allowsDuplicateKeys: true).parse(request.body)) ?? .null,
        ])
    }

    /// The request body as JSON; an empty body is `{}`.
    private static func body(of request: HTTPRequest) throws(SimulatorControlError) -> JSONValue {
        guard !request.body.isEmpty else { return .object([]) }
        do {
            return try JSONParser().parse(request.body)
        } catch {
            throw .badRequest("the body is not JSON: \(error)")
        }
    }
}
