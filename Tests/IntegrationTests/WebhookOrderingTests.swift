import Foundation
import Runtime
import Testing

/// The ordering table of Evolution's webhook deliveries (docs/webhooks.md, "Order") through the real stack (nginx,
/// the responder, PostgreSQL and the simulator): a `date_time` no time zone explains is refused 400 before any SQL and
/// pins nothing, and an event applies only to the instance it concerns: the previous instance's replayed QR code, late
/// `open` and replayed `remove.instance` change nothing for the new instance of the same name, nor does an event from
/// before an instance was adopted.
///
/// The previous instance's deliveries are replayed here as they were sent: the same `date_time` and `iat` (the
/// simulator's delivery log keeps when each was stamped; it runs at UTC here). The new instance is created the way
/// Evolution creates one, slowly: its create with a QR code waits for the code (the simulator's create answers 1.5 s
/// late), so the previous instance's events are older than the new one by more than a create.
@Suite("Webhook ordering through the stack", .serialized)
final class WebhookOrderingTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack
    private let sender: TestWebhookSender

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(
            sim: sim, label: "ordering", webhooks: true, environment: ["EVOLUTION_TIMEOUT_MS": "6000"])
        sender = TestWebhookSender(default: stack)
    }

    deinit {
        stack.stop()
    }

    // MARK: - A date_time no time zone explains

    enum Unexplained: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case year9999, fifteenHoursAhead, missing, february30, hour25Minute61, yearZero, thirteenHoursBehind

        var testDescription: String { rawValue }

        func dateTime(now: Timestamp) -> String? {
            switch self {
            case .year9999: "9999-12-31T23:59:59.999Z"
            case .fifteenHoursAhead: TestWebhookSender.reading(TestWebhookSender.shifted(now, by: 15 * 3600))
            case .missing: nil
            case .february30: "2026-02-30T10:00:00.000Z"
            case .hour25Minute61: "2026-02-30T25:61:61Z"
            case .yearZero: "0000-06-01T10:00:00.000Z"
            case .thirteenHoursBehind: TestWebhookSender.reading(TestWebhookSender.shifted(now, by: -13 * 3600))
            }
        }
    }

    @Test(arguments: Unexplained.allCases)
    func aDateTimeNoTimeZoneExplainsIsRefused400AndPinsNothing(_ unexplained: Unexplained) throws {
        let tenant = try storedTenant("when", status: "connecting")
        let before = try stack.tenantRowText(tenant.id)

        let refused = try sender.send(
            "connection.update", instance: tenant.name,
            data: TestWebhookSender.connection("close", instance: tenant.name),
            dateTime: unexplained.dateTime(now: .now()))

        WhatsAppExpectations.expectError(refused, status: 400, code: "invalid_body")
        #expect(try stack.tenantRowText(tenant.id) == before)
        #expect(try stack.auditRows(tenant: tenant.id).isEmpty)
        let real = try sender.send(
            "connection.update", instance: tenant.name,
            data: TestWebhookSender.connection("open", instance: tenant.name),
            dateTime: TestWebhookSender.reading(.now()))
        #expect(real.status == 200, "\(real.text)")
        #expect(try stack.tenantRow(tenant.id)?["whatsapp_status"] as? String == "open")
    }

    // MARK: - The instance an event concerns

    @Test func aReplayedQRCodeOfThePreviousInstanceIsNotStoredForTheNewOne() throws {
        let replaced = try replacedInstance("qr", scanFirst: false)
        let previousQRCode = try #require(replaced.previous.first { $0.event == "qrcode.updated" })

        let replay = try sender.send(
            "qrcode.updated", instance: replaced.name, data: Self.qrData(marker: "previous"),
            dateTime: previousQRCode.dateTime, signedAt: previousQRCode.stampedAt)

        #expect(replay.status == 200, "\(replay.text)")
        let stored = try stack.tenantRow(replaced.tenant)?["whatsapp_qr_code"] as? String
        #expect(stored?.hasSuffix("previous") != true, "\(stored ?? "none")")
    }

    @Test func aLateOpenOfThePreviousInstanceDoesNotOpenTheNewOne() throws {
        let replaced = try replacedInstance("late", scanFirst: true)
        let open = try #require(replaced.previousOpen)

        let late = try sender.send(
            "connection.update", instance: replaced.name,
            data: TestWebhookSender.connection("open", instance: replaced.name), dateTime: open.dateTime,
            signedAt: open.stampedAt)

        #expect(late.status == 200, "\(late.text)")
        #expect(try stack.tenantRow(replaced.tenant)?["whatsapp_status"] as? String != "open")
        let status = try stack.status(tenant: replaced.tenant).jsonObject()
        #expect(status["connected"] as? Bool == false)
    }

    @Test func aReplayedRemovalOfThePreviousInstanceKeepsTheNewLiveOne() throws {
        let replaced = try replacedInstance("remove", scanFirst: false)
        let removal = try #require(replaced.previous.last { $0.event == "remove.instance" })
        let generation = try stack.tenantRow(replaced.tenant)?["whatsapp_instance_generation"] as? String
        let goneBefore = try instanceGoneCount(replaced.tenant)
        func replay() throws {
            let response = try sender.send(
                "remove.instance", instance: replaced.name, dateTime: removal.dateTime, signedAt: removal.stampedAt)
            #expect(response.status == 200, "\(response.text)")
            #expect(try stack.storedInstanceName(of: replaced.tenant) == replaced.name)
            #expect(try stack.tenantRow(replaced.tenant)?["whatsapp_instance_generation"] as? String == generation)
            #expect(try instanceGoneCount(replaced.tenant) == goneBefore)
        }

        try replay()
        try sim.scan(instance: replaced.name)
        try Wait.until("the new instance's open is recorded") {
            try stack.tenantRow(replaced.tenant)?["whatsapp_status"] as? String == "open"
        }
        try replay()
        #expect(try stack.status(tenant: replaced.tenant).jsonObject()["connected"] as? Bool == true)
    }

    @Test func anEventDatedBeforeTheInstanceWasAdoptedChangesNothing() throws {
        let tenant = TestWhatsAppStack.newTenantID("adopted")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try sim.createInstance(named: name)  // left by an earlier run
        try stack.insertTenant(tenant)
        let beforeAdoption = Timestamp.now()
        #expect(try stack.connect(tenant: tenant).status == 200)
        try awaitDeliveriesEnded(of: name)
        let adopted = try stack.tenantRowText(tenant)

        let earlier = TestWebhookSender.shifted(beforeAdoption, by: -120)
        let response = try sender.send(
            "connection.update", instance: name, data: TestWebhookSender.connection("open", instance: name),
            dateTime: TestWebhookSender.reading(earlier), signedAt: earlier)

        #expect(response.status == 200, "\(response.text)")
        #expect(try stack.tenantRowText(tenant) == adopted)
    }

    // MARK: - Helpers

    /// One delivery the simulator sent, as it stamped it.
    private struct Sent {
        let event: String
        /// When the simulator stamped it: its `date_time` (the simulator runs at UTC here) and its `iat`.
        let stampedAt: Timestamp
        var dateTime: String { stampedAt.description }
    }

    /// A tenant whose first instance was connected (and scanned, with `scanFirst`), then disconnected, and whose second
    /// instance of the same name was created the slow way Evolution creates one; every delivery has landed.
    private struct Replaced {
        let tenant: String
        let name: String
        /// The first instance's deliveries, oldest first.
        let previous: [Sent]
        /// The first instance's `open`, when it was scanned.
        let previousOpen: Sent?
    }

    private func replacedInstance(_ prefix: String, scanFirst: Bool) throws -> Replaced {
        let tenant = TestWhatsAppStack.newTenantID(prefix)
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        var scannedAt: Timestamp?
        if scanFirst {
            scannedAt = .now()
            try sim.scan(instance: name)
            try Wait.until("the first instance's open is recorded") {
                try stack.tenantRow(tenant)?["whatsapp_status"] as? String == "open"
            }
        }
        try awaitDeliveriesEnded(of: name)
        #expect(try stack.disconnect(tenant: tenant).status == 200)
        try awaitDeliveriesEnded(of: name)
        let previous = try sentDeliveries(of: name)
        try sim.inject(#"{"route":"create","kind":"passthrough","delayMs":1500}"#)
        let second = try stack.connect(tenant: tenant)
        #expect(second.status == 201, "\(second.text)")
        try awaitDeliveriesEnded(of: name)
        let open = scannedAt.flatMap { scanned in
            previous.first { $0.event == "connection.update" && $0.stampedAt >= scanned }
        }
        return Replaced(tenant: tenant, name: name, previous: previous, previousOpen: open)
    }

    private func sentDeliveries(of name: String) throws -> [Sent] {
        try sim.deliveries().filter { $0["instance"] as? String == name }.compactMap { record in
            guard let event = record["event"] as? String,
                let stamped = (record["queuedAt"] as? String).flatMap(Timestamp.init(iso8601:))
            else { return nil }
            return Sent(event: event, stampedAt: stamped)
        }
    }

    private func awaitDeliveriesEnded(of name: String) throws {
        try Wait.until("the deliveries about \(name) have ended") {
            try sim.deliveries().filter { $0["instance"] as? String == name }
                .allSatisfy { !["pending", "retrying"].contains($0["outcome"] as? String) }
        }
    }

    private func instanceGoneCount(_ tenant: String) throws -> Int {
        try stack.auditRows(tenant: tenant).filter { $0["outcome"] as? String == "instance_gone" }.count
    }

    private struct Tenant {
        let id: String
        let name: String
    }

    /// A tenant whose instance row the test writes itself, created a moment ago (the simulator knows nothing of it).
    private func storedTenant(_ prefix: String, status: String) throws -> Tenant {
        let id = TestWhatsAppStack.newTenantID(prefix)
        let name = TestWhatsAppStack.instanceName(of: id)
        try stack.psql(
            """
            INSERT INTO tenants (id, whatsapp_instance_name, whatsapp_status, whatsapp_instance_created_at,
                whatsapp_checked_at, whatsapp_instance_generation)
            VALUES ('\(id)', '\(name)', '\(status)', now(), now() - interval '1 hour', gen_random_uuid()::text)
            """)
        return Tenant(id: id, name: name)
    }

    private static func qrData(marker: String) -> String {
        #"{"qrcode":{"instance":"x","pairingCode":null,"code":"2@abc","base64":"data:image/png;base64,\#(marker)"}}"#
    }
}
