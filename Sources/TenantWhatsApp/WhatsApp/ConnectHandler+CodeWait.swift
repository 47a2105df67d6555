import HTTPServer

/// Waiting for the code connect answers with: a QR code (asked of Evolution, or pushed by it with webhooks), or a
/// pairing code, each for at most `EVOLUTION_QR_WAIT_MS`, and stopped when the client goes away.
extension ConnectHandler {
    /// What the instance shows: its QR code (see ``awaitQRCode(of:for:first:flow:)``), or with `number` its pairing
    /// code (see ``awaitPairingCode(of:for:number:first:running:flow:)``). `running`: the instance was `connecting`.
    func awaitCode(
        of name: String, for tenant: TenantID, number: PairingNumber?, first: EvolutionConnectResult?, running: Bool,
        flow: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome.Code {
        guard let number else { return .qrCode(try awaitQRCode(of: name, for: tenant, first: first, flow: flow)) }
        return try awaitPairingCode(of: name, for: tenant, number: number, first: first, running: running, flow: flow)
    }

    /// Pairing-code mode: `first` when it carries a pairing code, else `GET /instance/connect/{name}?number=` every
    /// poll interval until an answer carries one or `EVOLUTION_QR_WAIT_MS` passes (nil then: 202). Nil when none
    /// came in time; 409 when the phone connected meanwhile.
    ///
    /// Evolution heeds `number` only on an instance in `close`, and answers a `connecting` one its current QR object:
    /// that socket may be in QR mode (no pairing code) or pairing another number. A `running` instance, which never
    /// connected, is therefore logged out first (it goes to `close`, nothing is lost), so the code always comes from
    /// a socket started for this number. A QR code without a pairing code is not taken: the socket is still the old
    /// one (Evolution 2.3.6 answers a logout before it ends).
    private func awaitPairingCode(
        of name: String, for tenant: TenantID, number: PairingNumber, first: EvolutionConnectResult?, running: Bool,
        flow: WhatsAppFlow
    ) throws(APIError) -> ConnectOutcome.Code {
        if let first, let code = try Self.pairingCode(in: first) { return code }
        if running { try flow.evolution.logout(instance: name) }
        let clock = dependencies.clock
        let interval = dependencies.settings.qrPollInterval
        let deadline = clock.now() + dependencies.settings.qrWait
        while true {
            let answer = try flow.evolution.connect(instance: name, pairingNumber: number)
            if case .state(.open) = answer {
                try flow.recordObservedState(.open, of: name, for: tenant)
                throw APIError(.alreadyConnected)
            }
            if let code = try Self.pairingCode(in: answer) { return code }
            guard clock.now() + interval < deadline else { return .pairing(nil, qrCode: nil) }
            try Self.stopIfAbandoned(flow)
            clock.pause(interval)
        }
    }

    /// The pairing code an answer carries, with the QR code that came with it; nil when it has none (pending, or a
    /// QR code of a socket in QR mode). A pairing code that is not 8 letters and digits is 502
    /// `upstream_bad_response`.
    private static func pairingCode(in answer: EvolutionConnectResult) throws(APIError) -> ConnectOutcome.Code? {
        let text: String?
        let qrCode: EvolutionQRCode?
        switch answer {
        case .qrCode(let shown):
            text = shown.pairingCode
            qrCode = shown
        case .pairingCode(let code):
            text = code
            qrCode = nil
        case .qrCodePending, .state:
            return nil
        }
        guard let text else { return nil }
        guard let code = PairingCode(evolution: text) else {
            throw APIError(upstream: .badResponse(.unexpectedShape(field: "$.pairingCode")))
        }
        return .pairing(code, qrCode: qrCode)
    }

    /// The instance's QR code: `first` when it carries one, else asked of `GET /instance/connect` every poll
    /// interval until it comes or `EVOLUTION_QR_WAIT_MS` passes (Evolution makes QR codes asynchronously and often
    /// answers `{"count":0}` at first); with webhooks, waited for in PostgreSQL instead (see
    /// ``awaitPushedQRCode(of:for:askFirst:flow:)``). Nil when none came in time; 409 when the phone connected
    /// meanwhile.
    private func awaitQRCode(
        of name: String, for tenant: TenantID, first: EvolutionConnectResult?, flow: WhatsAppFlow
    ) throws(APIError) -> EvolutionQRCode? {
        if case .qrCode(let qrCode) = first { return qrCode }
        if dependencies.settings.webhooks {
            // After a create the socket is starting and its QR code will be pushed; a reused instance may need
            // `/instance/connect` to start one.
            return try awaitPushedQRCode(of: name, for: tenant, askFirst: first == nil, flow: flow)
        }
        let clock = dependencies.clock
        let interval = dependencies.settings.qrPollInterval
        let deadline = clock.now() + dependencies.settings.qrWait
        while true {
            if let qrCode = try askForQRCode(of: name, for: tenant, flow: flow) { return qrCode }
            guard clock.now() + interval < deadline else { return nil }
            try Self.stopIfAbandoned(flow)
            clock.pause(interval)
        }
    }

    /// Waits for the QR code Evolution pushes (a cheap read of the tenant's row every few hundred milliseconds),
    /// asking Evolution itself only every ``FlowSettings/qrFallbackInterval``, in case a delivery was lost.
    private func awaitPushedQRCode(
        of name: String, for tenant: TenantID, askFirst: Bool, flow: WhatsAppFlow
    ) throws(APIError) -> EvolutionQRCode? {
        let clock = dependencies.clock
        let settings = dependencies.settings
        let deadline = clock.now() + settings.qrWait
        var nextAsk = askFirst ? clock.now() : clock.now() + settings.qrFallbackInterval
        while true {
            if clock.now() >= nextAsk {
                if let qrCode = try askForQRCode(of: name, for: tenant, flow: flow) { return qrCode }
                nextAsk = clock.now() + settings.qrFallbackInterval
            }
            if let pushed = try flow.tenants.pushedQRCode(of: name, for: tenant) { return pushed }
            guard clock.now() + settings.pushedQRPollInterval < deadline else { return nil }
            try Self.stopIfAbandoned(flow)
            clock.pause(settings.pushedQRPollInterval)
        }
    }

    /// Stops a wait whose client went away (nginx closed the connection): no more Evolution calls, and the lease
    /// is given back at once by the caller's `defer`.
    private static func stopIfAbandoned(_ flow: WhatsAppFlow) throws(APIError) {
        guard flow.context.clientGone() else { return }
        flow.context.logMetadata["clientGone"] = .stringConvertible(true)
        throw APIError(.clientGone)
    }

    /// One `GET /instance/connect`: its QR code, nil while pending, 409 when already open.
    private func askForQRCode(
        of name: String, for tenant: TenantID, flow: WhatsAppFlow
    ) throws(APIError) -> EvolutionQRCode? {
        let answer = try flow.evolution.connect(instance: name, pairingNumber: nil)
        switch answer {
        case .qrCode(let qrCode):
            return qrCode
        case .state(.open):
            try flow.recordObservedState(.open, of: name, for: tenant)
            throw APIError(.alreadyConnected)
        case .qrCodePending, .pairingCode, .state:
            return nil
        }
    }
}
