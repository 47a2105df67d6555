import Foundation
import Testing

/// Issue 15, item 3: a client that gives up during connect's QR wait is let go. nginx closes the FastCGI connection
/// when its client leaves; the waiting request notices, stops calling Evolution, gives the tenant's lease back at
/// once and writes an `abandoned` audit row.
@Suite("Abandoned requests", .serialized)
final class WhatsAppAbandonedRequestTests {
    private static let launched = TestEvolutionSim.launchedForProcess()
    private let sim: TestEvolutionSim
    private let stack: TestWhatsAppStack

    init() throws {
        sim = try Self.launched.get()
        try sim.reset()
        stack = try TestWhatsAppStack.start(sim: sim, label: "abandon", environment: ["EVOLUTION_QR_WAIT_MS": "10000"])
    }

    deinit {
        stack.stop()
    }

    @Test func aClientThatLeavesDuringTheQRWaitStopsTheCallsAndFreesTheTenant() throws {
        // Evolution never has the QR code ready: connect would poll it for 10 s.
        try sim.updateSettings(#"{"qrPendingAnswers":1000}"#)
        let tenant = TestWhatsAppStack.newTenantID("gone")
        let name = TestWhatsAppStack.instanceName(of: tenant)
        try stack.insertTenant(tenant)

        let client = try LeavingClient(port: stack.nginx.port)
        try client.send(
            "POST /api/tenants/\(tenant)/whatsapp/connect HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer \(TestWhatsAppStack.token(for: tenant))\r\nContent-Length: 0\r\n\r\n")
        try Wait.until("connect is polling Evolution for the QR code") {
            try !sim.calls(route: "connect", instance: name).isEmpty
        }
        let left = Date()
        client.leave()

        var abandonedAt: String?
        try Wait.until("the request records that it was abandoned", timeoutSeconds: 10) {
            let row = try stack.auditRows(tenant: tenant).first { $0["outcome"] as? String == "abandoned" }
            abandonedAt = row?["occurred_at"] as? String
            return row != nil
        }
        #expect(Date().timeIntervalSince(left) < 5, "the wait went on long after the client left")
        // No Evolution call after the request stopped (the call log and the audit share this machine's clock).
        let stoppedAt = try #require(abandonedAt)
        let lastCall = try sim.calls(route: "connect", instance: name).compactMap { $0["time"] as? String }.max()
        #expect(try (lastCall.map(Self.date) ?? .distantPast) <= Self.date(stoppedAt))
        // The lease was given back: the next connect is not refused as in progress.
        #expect(try stack.connect(tenant: tenant).status != 409)
    }

    /// PostgreSQL's `2026-12-01T23:58:01.123456+00:00` and the simulator's `…Z`, as instants.
    private static func date(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let normalised = text.replacingOccurrences(of: " ", with: "T")
        if let date = formatter.date(from: normalised) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return try #require(formatter.date(from: normalised), "not a timestamp: \(text)")
    }
}

/// A client that sends a request and goes away without reading the answer.
private final class LeavingClient {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect failed: errno \(errno)") }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            throw TestFailure("send failed: errno \(errno)")
        }
    }

    func leave() {
        close(descriptor)
    }
}
