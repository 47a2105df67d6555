import Foundation
import Testing

/// Who is connected and why it dropped when polling (issue 24, item 2), end to end without webhooks: status learns
/// the account from `fetchInstances?instanceName=` on the first `open` it sees, and a `close` it sees becomes
/// `connection_lost` only once it has lasted `STATUS_CLOSE_GRACE_MS` (2 s here); the simulator's restart (a drop
/// Evolution repairs, reading `close` for 400 ms) gets no reason.
@Suite("Connected account and last disconnection when polling, end to end", .serialized)
final class AccountAndDisconnectionPollingTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private static let number = "5511987650042"
    private static let profileName = "Loja Sondada"
    private static let graceMilliseconds = 2000
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        try sim.updateSettings(#"{"reconnectCloseMs":400,"reconnectMs":300}"#)
        stack = try TestWhatsAppStack.start(
            sim: sim, label: "polled", environment: ["STATUS_CLOSE_GRACE_MS": String(Self.graceMilliseconds)])
    }

    deinit {
        stack.stop()
    }

    /// A tenant whose instance a phone scanned (no webhook tells us: only status can see it).
    private func scannedTenant(_ label: String) throws -> (tenant: String, name: String) {
        let tenant = TestWhatsAppStack.newTenantID(label)
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)
        #expect(try stack.connect(tenant: tenant).status == 201)
        try sim.scan(instance: name, number: Self.number, profileName: Self.profileName)
        return (tenant, name)
    }

    private func status(of tenant: String) throws -> [String: Any] {
        try stack.status(tenant: tenant).jsonObject()
    }

    private func stateChanges(of tenant: String) throws -> [String] {
        try stack.psql(
            """
            SELECT outcome || '/' || coalesce(error_code, '-') FROM whatsapp_audit
            WHERE tenant_id = '\(tenant)' AND action = 'state_change' ORDER BY id
            """
        ).split(separator: "\n").map(String.init)
    }

    @Test func theFirstPolledOpenShowsTheAccountAndAFailedFetchIsTriedAgainByTheNextStatus() throws {
        let (tenant, _) = try scannedTenant("pollacct")
        try sim.inject(#"{"route":"fetchInstances","status":500,"times":1}"#)

        let first = try status(of: tenant)
        #expect(first["status"] as? String == "open")
        #expect((first["data"] as? [String: Any])?["account"] == nil)

        let account = (try status(of: tenant)["data"] as? [String: Any])?["account"] as? [String: Any]
        #expect(account?["phoneNumber"] as? String == "+" + Self.number)
        #expect(account?["name"] as? String == Self.profileName)
        #expect(try stack.tenantRow(tenant)?["whatsapp_account_jid"] as? String == Self.number + "@s.whatsapp.net")
        #expect(try stateChanges(of: tenant).filter { $0.hasPrefix("open") } == ["open/-"])
        let logs = stack.allLogText()
        #expect(logs.contains("…0042"))
        #expect(!logs.contains(Self.number))
        #expect(!logs.contains(Self.profileName))
    }

    @Test func aRestartShorterThanTheGraceGetsNoReasonAndALongerCloseIsAConnectionLost() throws {
        let (tenant, name) = try scannedTenant("pollclose")
        #expect(try status(of: tenant)["status"] as? String == "open")

        // A drop Evolution repairs: `close` for 400 ms, then `connecting`, then `open`, without any webhook.
        try sim.control("POST", "/instances/\(name)/drop", json: #"{"statusReason":515}"#)
        try Wait.until("status sees the restart's close", pollMilliseconds: 20) {
            try status(of: tenant)["status"] as? String == "close"
        }
        var seen: [String: Any] = [:]
        try Wait.until("status sees the instance open again", pollMilliseconds: 20) {
            seen = try status(of: tenant)
            #expect((seen["data"] as? [String: Any])?["lastDisconnection"] == nil)
            return seen["status"] as? String == "open"
        }
        #expect(try stack.tenantRow(tenant)?["whatsapp_disconnect_reason"] is NSNull)

        // A final drop seen only by polling: no code, so no reason until it has lasted the grace.
        try sim.control("POST", "/instances/\(name)/drop", json: #"{"statusReason":408}"#)
        var firstClose: [String: Any] = [:]
        try Wait.until("status sees the close") {
            firstClose = try status(of: tenant)
            return firstClose["status"] as? String == "close"
        }
        #expect((firstClose["data"] as? [String: Any])?["lastDisconnection"] == nil)
        var last: [String: Any] = [:]
        try Wait.until("status shows the lost connection", pollMilliseconds: 100) {
            last = (try status(of: tenant)["data"] as? [String: Any])?["lastDisconnection"] as? [String: Any] ?? [:]
            return !last.isEmpty
        }
        #expect(last["reason"] as? String == "connection_lost")
        #expect(last["message"] as? String == "A conexão com o WhatsApp caiu.")
        #expect(try stack.tenantRow(tenant)?["whatsapp_disconnect_code"] is NSNull)
        #expect(try stateChanges(of: tenant).suffix(2) == ["close/-", "close:connection_lost/-"])
        let lastedMilliseconds = try stack.psql(
            """
            SELECT (extract(epoch FROM max(occurred_at) FILTER (WHERE outcome = 'close:connection_lost')
                - max(occurred_at) FILTER (WHERE outcome = 'close')) * 1000)::bigint
            FROM whatsapp_audit WHERE tenant_id = '\(tenant)' AND action = 'state_change'
            """
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(lastedMilliseconds) ?? 0) >= Self.graceMilliseconds)
        #expect(!stack.allLogText().contains(Self.number))
    }
}
