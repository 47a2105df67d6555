import HTTPServer
import JSON
import Runtime

/// The connection lifecycle: socket start, QR codes, scan, close, logout and delete, each with Evolution's webhooks.
extension SimulatorState {
    /// Starts a socket: the state becomes `connecting` and QR codes will come (after the pending answers).
    mutating func startSocket(_ name: String, pairingNumber: String?, now: ContinuousClock.Instant) {
        guard var instance = instances[name] else { return }
        instance.state = .connecting
        instance.pendingQRAnswers = settings.qrPendingAnswers
        instance.qrDueAt = settings.qrDelayMilliseconds > 0 ? now + .milliseconds(settings.qrDelayMilliseconds) : nil
        instance.qrShownAt = nil
        instance.firstQRShownAt = nil
        instance.pairingNumber = pairingNumber
        instance.updatedAt = Timestamp.now()
        instances[name] = instance
        emit(WebhookEvent.connecting(instance), for: instance, now: now)
    }

    /// The QR object a create or connect answers now. While the socket waits for its first QR code this uses up
    /// one pending answer, and once none is left the QR code arrives (count + 1, `qrcode.updated`).
    mutating func qrCodeAnswer(_ name: String, now: ContinuousClock.Instant) -> JSONValue {
        guard let instance = instances[name] else { return ["count": 0] }
        if instance.state == .connecting, instance.qrShownAt == nil {
            if let due = instance.qrDueAt {
                // Made by time, not by answers: the clock thread shows it when due, unless this answer is later.
                if now >= due { showNextQRCode(name, now: now) }
            } else if instance.pendingQRAnswers > 0 {
                instances[name]?.pendingQRAnswers -= 1
            } else {
                showNextQRCode(name, now: now)
            }
        }
        return instances[name]?.qrCode.json ?? ["count": 0]
    }

    /// The next QR code for a connecting instance, or, when the count is at the limit, Evolution's give-up:
    /// `qrcode.updated` with the limit message, `connection.update` `refused`, then `close` with `{count:0}`.
    mutating func showNextQRCode(_ name: String, now: ContinuousClock.Instant) {
        guard var instance = instances[name], instance.state == .connecting else { return }
        if instance.qrCode.count >= settings.qrLimit {
            emit(WebhookEvent.qrCodeLimitReached(), for: instance, now: now)
            emit(WebhookEvent.refused(instance), for: instance, now: now)
            instance.state = .close
            instance.databaseStatus = .close
            instance.qrCode = QRCodeState()
            instance.qrShownAt = nil
            instance.firstQRShownAt = nil
            instances[name] = instance
            return
        }
        instance.qrCode.advance(pairingCode: instance.pairingNumber == nil ? nil : RandomIdentifier.pairingCode())
        instance.pendingQRAnswers = 0
        instance.qrDueAt = nil
        instance.qrShownAt = now
        instance.firstQRShownAt = instance.firstQRShownAt ?? now
        if instance.databaseStatus == .close { instance.databaseStatus = .connecting }
        instances[name] = instance
        emit(WebhookEvent.qrCodeUpdated(instance), for: instance, now: now)
    }

    /// A phone scans the QR code: `connecting` → `open`, with `connection.update` `open`. False unless connecting.
    mutating func scan(
        _ name: String, wuid: String?, profileName: String?, now: ContinuousClock.Instant
    ) -> Bool {
        guard var instance = instances[name], instance.state == .connecting else { return false }
        let number = 5_511_900_000_000 + (creationOrder.firstIndex(of: name) ?? 0)
        instance.owner = (wuid ?? "\(number)@s.whatsapp.net", profileName ?? "Simulated Phone")
        instance.state = .open
        instance.databaseStatus = .open
        instance.qrShownAt = nil
        instance.pendingQRAnswers = 0
        instance.updatedAt = Timestamp.now()
        instances[name] = instance
        emit(WebhookEvent.open(instance), for: instance, now: now)
        return true
    }

    /// A final close (`statusReason` 401: logged out, from the phone or by `/instance/logout`; 403, 402, 406
    /// likewise): Evolution's non-reconnecting branch sends `status.instance`, `logout.instance` (data `null`), then
    /// `connection.update` `close` with the reason. A 401 deletes the session: the account is forgotten.
    mutating func close(_ name: String, statusReason: Int, now: ContinuousClock.Instant) {
        guard var instance = instances[name] else { return }
        let time = Timestamp.now()
        emit(WebhookEvent.statusClosed(instance, statusReason: statusReason, at: time), for: instance, now: now)
        emit(WebhookEvent.logout(), for: instance, now: now)
        instance.state = .close
        instance.databaseStatus = .close
        instance.qrShownAt = nil
        instance.firstQRShownAt = nil
        instance.disconnectionReasonCode = statusReason
        instance.disconnectionAt = time
        instance.updatedAt = time
        instance.reconnectsAt = nil
        let closed = WebhookEvent.closed(instance, statusReason: statusReason)
        if statusReason == 401 { instance.owner = nil }
        instances[name] = instance
        emit(closed, for: instance, now: now)
    }

    /// A drop Evolution repairs by itself: the socket reads `close` for `reconnectCloseMs`, reconnects
    /// (`connecting`) and is `open` again `reconnectMs` later; Evolution sends no webhook for any step.
    mutating func reconnect(_ name: String, statusReason: Int, now: ContinuousClock.Instant) {
        guard var instance = instances[name] else { return }
        let closing = Duration.milliseconds(settings.reconnectCloseMilliseconds)
        instance.state = closing > .zero ? .close : .connecting
        instance.closedUntil = closing > .zero ? now + closing : nil
        instance.disconnectionReasonCode = statusReason
        instance.disconnectionAt = Timestamp.now()
        instance.updatedAt = Timestamp.now()
        instance.reconnectsAt = now + closing + .milliseconds(settings.reconnectMilliseconds)
        instances[name] = instance
    }

    /// Logout: the socket logs out, which Baileys reports as a final close with 401. The QR object stays.
    mutating func logout(_ name: String, now: ContinuousClock.Instant) {
        close(name, statusReason: 401, now: now)
    }

    /// Delete: logs out first when needed, sends `instance.delete` and `remove.instance`, then removes the
    /// instance, at once or, with a clean-up window, only when it ends (the name stays "in use" until then).
    mutating func delete(_ name: String, now: ContinuousClock.Instant) {
        guard let instance = instances[name], instance.awaitedRemoveDelivery == nil else { return }
        if instance.state != .close { logout(name, now: now) }
        guard let current = instances[name] else { return }
        emit(WebhookEvent.lifecycle("instance.delete", current), for: current, now: now)
        emit(WebhookEvent.remove(), for: current, now: now)
        if settings.holdsDeletedNameUntilRemoveDelivered, let removal = outbox.last,
            removal.event == WebhookEvent.remove().0, removal.instance == name
        {
            // Evolution awaits this delivery (retries included) before it removes the instance.
            instances[name]?.awaitedRemoveDelivery = removal.id
            return
        }
        finishRemoval(name, now: now)
    }

    /// The `remove.instance` delivery a held instance waited for ended: it goes now (or after the clean-up window).
    mutating func removeDeliveryEnded(_ delivery: WebhookDelivery, now: ContinuousClock.Instant) {
        guard let instance = instances[delivery.instance], instance.awaitedRemoveDelivery == delivery.id else { return }
        finishRemoval(delivery.instance, now: now)
    }

    private mutating func finishRemoval(_ name: String, now: ContinuousClock.Instant) {
        if settings.deleteCleanupMilliseconds > 0 {
            if instances[name]?.removalDeadline == nil {
                instances[name]?.removalDeadline = now + .milliseconds(settings.deleteCleanupMilliseconds)
            }
        } else {
            remove(name)
        }
    }
}
