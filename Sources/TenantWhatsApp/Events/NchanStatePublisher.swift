import HTTPClient
import Logging
import Postgres
import Runtime

/// Publishes tenants' states to nchan's publisher location over a unix socket (`NCHAN_PUBLISH_SOCKET`;
/// nginx/tenant-whatsapp.events.http.conf), from one thread of its own.
///
/// ``publish(_:qrCode:)`` only queues the tenant (once: a tenant queued again before it was sent is sent once, with
/// its state as it is then), so a request never waits for nginx. The thread takes up to ``batchSize`` queued tenants
/// at a time, reads their rows in one statement on a PostgreSQL connection of its own (never one of the request
/// pool) and POSTs each message with a 50 ms deadline. A tenant whose publish failed is queued again, up to
/// ``attempts`` tries in all (a busy nginx can miss one deadline; each try reads the row anew), then given up and
/// counted (`tenant_whatsapp_events_published_total{outcome="failed"}`; each retry is `retried`). Failures are logged
/// once per burst: the first one, then one line when publishing works again. At most ``capacity`` tenants wait; beyond that a
/// publish is dropped and counted (the next change of that tenant publishes its state again).
final class NchanStatePublisher: TenantStatePublisher {
    /// The most tenants waiting to be published.
    static let capacity = 10_000
    /// The deadline of one POST to nchan.
    static let timeoutMilliseconds = 50
    /// Tenants taken from the queue at a time.
    static let batchSize = 64
    /// Tries of one publish before it is given up.
    static let attempts = 3

    private struct Queue {
        var order: [TenantID] = []
        var qrCodes: [TenantID: String] = [:]
        var queued: Set<TenantID> = []
        /// Failed tries of the tenants being retried.
        var failedTries: [TenantID: Int] = [:]
        /// A batch is being sent (``flush(within:)`` waits for it too).
        var sending = false
    }

    private let queue = ConditionLock(Queue())
    private let socketPath: String
    private let pool: PostgresPool
    private let logger: Logger

    /// A publisher to the nchan socket at `socketPath`, reading rows through `pool` (give it a pool of its own, size
    /// 1); its thread starts at once.
    init(socketPath: String, pool: PostgresPool, logger: Logger) throws(ThreadStartError) {
        self.socketPath = socketPath
        self.pool = pool
        self.logger = logger
        try Threads.detach { [self] in run() }
    }

    func publish(_ tenant: TenantID, qrCode: String?) {
        let accepted = queue.withLockNotifying { queue in
            if let qrCode { queue.qrCodes[tenant] = qrCode }
            guard !queue.queued.contains(tenant) else { return true }
            guard queue.order.count < Self.capacity else { return false }
            queue.queued.insert(tenant)
            queue.order.append(tenant)
            return true
        }
        if !accepted { EventsMetrics.recordPublish(.dropped) }
    }

    /// Queues `tenant` again after a failed try (with its QR code), unless it had its last try: then false.
    private func retry(_ tenant: TenantID, qrCode: String?) -> Bool {
        queue.withLockNotifying { queue in
            let tries = (queue.failedTries[tenant] ?? 0) + 1
            guard tries < Self.attempts else {
                queue.failedTries[tenant] = nil
                return false
            }
            queue.failedTries[tenant] = tries
            if let qrCode, queue.qrCodes[tenant] == nil { queue.qrCodes[tenant] = qrCode }
            if queue.queued.insert(tenant).inserted { queue.order.append(tenant) }
            return true
        }
    }

    /// Forgets the failed tries of a tenant just published.
    private func succeeded(_ tenant: TenantID) {
        queue.withLock { queue in
            if !queue.failedTries.isEmpty { queue.failedTries[tenant] = nil }
        }
    }

    /// Counts a failed try of `tenant`: a retry, or the publish given up.
    private func failed(_ tenant: TenantID, qrCode: String?) {
        EventsMetrics.recordPublish(retry(tenant, qrCode: qrCode) ? .retried : .failed)
    }

    /// Waits until every queued tenant was sent, up to `timeout`; false when some were still waiting. For commands
    /// that end right after their changes (`reconcile`).
    @discardableResult
    func flush(within timeout: Duration) -> Bool {
        queue.wait(until: .now + timeout) { $0.order.isEmpty && !$0.sending ? true : nil } ?? false
    }

    private func run() {
        let client: HTTPClient
        do {
            client = try HTTPClient(bodyLimit: 4096)
        } catch {
            logger.error("event publishing is off: no HTTP client", metadata: ["error": "\(error)"])
            return
        }
        var failures = 0
        while true {
            let batch = nextBatch()
            guard !batch.isEmpty else { continue }
            let qrCodes = Dictionary(batch.compactMap { tenant, qrCode in qrCode.map { (tenant, $0) } }) { $1 }
            let messages: [TenantID: TenantStateMessage]
            do {
                messages = try TenantStateMessage.read(batch.map(\.0), qrCodes: qrCodes, from: pool)
            } catch {
                for (tenant, qrCode) in batch { failed(tenant, qrCode: qrCode) }
                failures = logFailure(SendFailure.database(error), tenant: batch[0].0, failuresBefore: failures)
                failures += batch.count - 1
                queue.withLockNotifying { $0.sending = false }
                continue
            }
            // A tenant deleted meanwhile has nothing to show.
            for (tenant, qrCode) in batch {
                guard let message = messages[tenant] else { continue }
                switch send(message, of: tenant, with: client) {
                case .success:
                    EventsMetrics.recordPublish(.published)
                    succeeded(tenant)
                    if failures > 0 {
                        logger.info("event publishing works again", metadata: ["failedBefore": "\(failures)"])
                        failures = 0
                    }
                case .failure(let reason):
                    failed(tenant, qrCode: qrCode)
                    failures = logFailure(reason, tenant: tenant, failuresBefore: failures)
                }
            }
            queue.withLockNotifying { $0.sending = false }
        }
    }

    /// Logs the first failure of a burst; returns the failures counted so far, this one included.
    private func logFailure(_ reason: SendFailure, tenant: TenantID, failuresBefore: Int) -> Int {
        if failuresBefore == 0 {
            logger.warning(
                "event publishing failed; further failures are counted, not logged, until it works again",
                metadata: ["reason": "\(reason)", "tenantId": "\(tenant.rawValue)"])
        }
        return failuresBefore + 1
    }

    /// Up to ``batchSize`` queued tenants with their QR codes, waiting for one. The thread lives as long as the
    /// process: a command that ends (`reconcile`) calls ``flush(within:)`` first.
    private func nextBatch() -> [(TenantID, String?)] {
        queue.wait(until: nil) { queue -> [(TenantID, String?)]? in
            if queue.order.isEmpty { return nil }
            let taken = queue.order.prefix(Self.batchSize)
            queue.order.removeFirst(taken.count)
            queue.sending = true
            return taken.map { tenant in
                queue.queued.remove(tenant)
                return (tenant, queue.qrCodes.removeValue(forKey: tenant))
            }
        } ?? []
    }

    private enum SendFailure: Error, CustomStringConvertible {
        case database(PostgresError)
        case nchan(HTTPClientError)
        case refused(status: Int)

        var description: String {
            switch self {
            case .database(let error): "reading the state: \(error)"
            case .nchan(let error): "posting to nchan: \(error)"
            case .refused(let status): "nchan answered \(status)"
            }
        }
    }

    private func send(
        _ message: TenantStateMessage, of tenant: TenantID, with client: HTTPClient
    ) -> Result<Void, SendFailure> {
        let request = HTTPClientRequest(
            method: .post, url: "http://localhost/tenants/\(tenant.rawValue)",
            headers: [("Content-Type", "application/json")], body: message.body.serialized(),
            timeoutMilliseconds: Self.timeoutMilliseconds, unixSocketPath: socketPath)
        do {
            let response = try client.send(request)
            // nchan: 201 with subscribers waiting, 202 without.
            guard (200..<300).contains(response.status) else { return .failure(.refused(status: response.status)) }
            return .success(())
        } catch {
            return .failure(.nchan(error))
        }
    }
}
