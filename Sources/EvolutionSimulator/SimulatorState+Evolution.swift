import HTTPServer
import JSON
import Runtime

/// Evolution's routes, in the order its middleware runs: the JSON body parser, then per route the
/// instance-exists guard (404), the name-taken guard on create (403), the key guard (401), then validation (400).
extension SimulatorState {
    /// Answers one request to Evolution's API (anything outside `/_sim/`), applying an injected fault first, and
    /// records it in the call log.
    mutating func answerEvolution(_ request: HTTPRequest, now: ContinuousClock.Instant) -> SimulatorAnswer {
        let (route, instanceName) = Self.locate(request)
        var entry = CallLogEntry(
            method: request.method.rawValue, path: request.path, route: route?.rawValue ?? "unknown",
            instance: instanceName, time: Timestamp.now())
        var answer: SimulatorAnswer
        if let route, let fault = takeFault(for: route, instance: instanceName) {
            entry.fault = fault.kind.rawValue
            if fault.kind == .passthrough {
                answer = answerNormally(request, route: route, instanceName: instanceName, now: now)
                answer.delay += .milliseconds(fault.delayMilliseconds)
            } else {
                answer = FaultReply.answer(for: fault, route: route.rawValue, instance: instanceName)
            }
        } else {
            answer = answerNormally(request, route: route, instanceName: instanceName, now: now)
        }
        entry.status = answer.status
        record(entry)
        return answer
    }

    /// The route of `request` and the instance it names: the path parameter (percent-decoded, as Express decodes
    /// `req.params`), or `?instanceName=` on fetchInstances.
    private static func locate(_ request: HTTPRequest) -> (EvolutionRoute?, String?) {
        guard
            case .found(let route, _, let parameters, _) = EvolutionRoute.router.match(
                method: request.method, path: request.path)
        else { return (nil, nil) }
        if route == .fetchInstances {
            return (route, PercentDecoding.queryItems(request.query).first { $0.name == "instanceName" }?.value)
        }
        return (route, parameters["instanceName"].map { PercentDecoding.decode($0) ?? $0 })
    }

    /// The first fault for this call, counted down (and forgotten once used up).
    private mutating func takeFault(for route: EvolutionRoute, instance: String?) -> Fault? {
        guard let index = faults.firstIndex(where: { $0.matches(route: route, instance: instance) }) else { return nil }
        let fault = faults[index]
        faults[index].remaining -= 1
        if faults[index].remaining <= 0 { faults.remove(at: index) }
        return fault
    }

    private mutating func answerNormally(
        _ request: HTTPRequest, route: EvolutionRoute?, instanceName: String?, now: ContinuousClock.Instant
    ) -> SimulatorAnswer {
        let routeName = route?.rawValue ?? "unknown"
        let body: JSONValue
        switch EvolutionCall.body(of: request) {
        case .success(let parsed): body = parsed
        case .failure(let error):
            return SimulatorAnswer(
                EvolutionEnvelope.malformedJSON(at: error.offset), route: routeName, instance: instanceName)
        }
        guard let route else {
            let target = request.path + (request.query.map { "?" + $0 } ?? "")
            return SimulatorAnswer(EvolutionEnvelope.cannot(request.method, target), route: routeName, instance: nil)
        }
        let call = EvolutionCall(request: request, route: route, instanceName: instanceName, body: body)
        let (response, delay) = respond(to: call, now: now)
        return SimulatorAnswer(response, delay: delay, route: routeName, instance: instanceName)
    }

    private mutating func respond(to call: EvolutionCall, now: ContinuousClock.Instant) -> (HTTPResponse, Duration) {
        switch call.route {
        case .root: return (welcome, .zero)
        case .create: return (createInstance(call, now: now), .zero)
        case .fetchInstances: return (fetchInstances(call), .zero)
        default: break
        }
        guard let name = call.instanceName, let instance = instances[name] else {
            return (EvolutionEnvelope.instanceDoesNotExist(call.instanceName ?? ""), .zero)
        }
        guard let key = call.apiKey, key == settings.apiKey || key == instance.token else {
            return (EvolutionEnvelope.unauthorized(), .zero)
        }
        switch call.route {
        case .connect: return connect(call, instance: instance, now: now)
        case .connectionState: return (.json(.ok, instance.stateJSON), .zero)
        case .logout: return (logout(instance, now: now), .zero)
        case .delete:
            delete(name, now: now)
            return (EvolutionEnvelope.success("Instance deleted"), .zero)
        case .restart: return (restart(instance, now: now), .zero)
        case .webhookSet: return (setWebhook(call, instance: instance), .zero)
        case .webhookFind:
            return (.json(.ok, instance.webhook?.row(instanceID: instance.id) ?? .null), .zero)
        case .root, .create, .fetchInstances:
            return (EvolutionEnvelope.cannot(call.request.method, call.request.path), .zero)
        }
    }

    /// `GET /`: the welcome document, without authentication.
    private var welcome: HTTPResponse {
        .json(
            .ok,
            [
                "status": 200, "message": "Welcome to the Evolution API, it is working!", "version": "2.3.6",
                "clientName": "evolution_exchange", "manager": .string(settings.serverURL + "/manager"),
                "documentation": "https://doc.evolution-api.com",
            ])
    }

    /// `GET /instance/connect/{name}`: open → the state shape; connecting → the QR object at once; close → start
    /// a socket (Evolution then waits 2 s: `connectWaitMilliseconds`) and answer the QR object.
    private mutating func connect(
        _ call: EvolutionCall, instance: SimulatedInstance, now: ContinuousClock.Instant
    ) -> (HTTPResponse, Duration) {
        switch instance.state {
        case .open:
            return (.json(.ok, instance.stateJSON), .zero)
        case .connecting:
            return (.json(.ok, qrCodeAnswer(instance.name, now: now)), .zero)
        case .close:
            startSocket(instance.name, pairingNumber: call.query("number"), now: now)
            let answer = qrCodeAnswer(instance.name, now: now)
            return (.json(.ok, answer), .milliseconds(settings.connectWaitMilliseconds))
        }
    }

    /// `DELETE /instance/logout/{name}`: 400 when already closed (2.3.x), else the logout.
    private mutating func logout(_ instance: SimulatedInstance, now: ContinuousClock.Instant) -> HTTPResponse {
        guard instance.state != .close else {
            return EvolutionEnvelope.error(
                .badRequest, messages: ["The \"\(instance.name)\" instance is not connected"])
        }
        logout(instance.name, now: now)
        return EvolutionEnvelope.success("Instance logged out")
    }

    /// `POST /instance/restart/{name}`: open → the state shape (the state has not changed yet); connecting → the
    /// QR object; close → HTTP 200 `{"error":true,"message":"[object Object]"}`.
    private mutating func restart(_ instance: SimulatedInstance, now: ContinuousClock.Instant) -> HTTPResponse {
        switch instance.state {
        case .open: .json(.ok, instance.stateJSON)
        case .connecting: .json(.ok, qrCodeAnswer(instance.name, now: now))
        case .close: EvolutionEnvelope.failureWithOK()
        }
    }

    /// `GET /instance/fetchInstances[?instanceName=|instanceId=|number=]`: the global key sees every instance, an
    /// instance token only the instances with that token.
    private func fetchInstances(_ call: EvolutionCall) -> HTTPResponse {
        let all = creationOrder.compactMap { instances[$0] }
        let visible: [SimulatedInstance]
        if let key = call.apiKey, key == settings.apiKey {
            visible = all
        } else if let key = call.apiKey, all.contains(where: { $0.token == key }) {
            visible = all.filter { $0.token == key }
        } else {
            return EvolutionEnvelope.unauthorized()
        }
        var rows = visible
        for (parameter, keyPath) in [("instanceName", \SimulatedInstance.name), ("instanceId", \SimulatedInstance.id)] {
            guard let wanted = call.query(parameter) else { continue }
            rows = rows.filter { $0[keyPath: keyPath] == wanted }
            if rows.isEmpty {
                return EvolutionEnvelope.error(.notFound, messages: ["Instance \"\(wanted)\" not found"])
            }
        }
        if let number = call.query("number") {
            rows = rows.filter { $0.number == number || $0.owner?.wuid.hasPrefix(number) == true }
            if rows.isEmpty {
                return EvolutionEnvelope.error(.notFound, messages: ["Instance \"\(number)\" not found"])
            }
        }
        return .json(.ok, .array(rows.map(\.row)))
    }
}
