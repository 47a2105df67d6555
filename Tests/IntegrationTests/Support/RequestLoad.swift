import Foundation

/// Requests sent in a loop by several client threads, without pause, until stopped: how many were made, how many
/// of each status, and every one that was not acceptable (or not answered at all).
final class RequestLoad: @unchecked Sendable {
    private let lock = NSLock()
    private let isAcceptable: @Sendable (TestHTTPResponse) -> Bool
    private var running = true
    private var count = 0
    private var statuses: [Int: Int] = [:]
    private var failed: [String] = []
    private var clients: [Background<Void>] = []

    /// A load whose acceptable answers are those `isAcceptable` says (by default any 2xx).
    init(accepting isAcceptable: @escaping @Sendable (TestHTTPResponse) -> Bool = { (200..<300).contains($0.status) }) {
        self.isAcceptable = isAcceptable
    }

    /// Starts `clients` threads, each calling `request(index)` in a loop until ``stop()``.
    func start(clients: Int, _ request: @escaping @Sendable (Int) throws -> TestHTTPResponse) {
        let started = Background.many(clients) { index in self.run { try request(index) } }
        lock.withLock { self.clients += started }
    }

    /// Requests made so far (answered or not).
    func made() -> Int { lock.withLock { count } }

    /// Answers with `status` so far.
    func answered(_ status: Int) -> Int { lock.withLock { statuses[status, default: 0] } }

    /// How many answers of each status so far.
    func statusCounts() -> [Int: Int] { lock.withLock { statuses } }

    /// Every request that got an unacceptable answer or none, as "status body" or the error.
    func failures() -> [String] { lock.withLock { failed } }

    /// Stops the clients after their current request, waits for them, and returns how many requests were made.
    @discardableResult
    func stop() throws -> Int {
        let stopping = lock.withLock {
            running = false
            return clients
        }
        for client in stopping { try client.value() }
        return made()
    }

    private func run(_ request: () throws -> TestHTTPResponse) {
        while lock.withLock({ running }) {
            let outcome = Result { try request() }
            lock.withLock {
                count += 1
                switch outcome {
                case .success(let response):
                    statuses[response.status, default: 0] += 1
                    if !isAcceptable(response) { failed.append("\(response.status) \(response.text)") }
                case .failure(let error):
                    failed.append("\(error)")
                }
            }
        }
    }

    /// Whether `response` is nginx's JSON envelope for a responder it cannot reach: 503 `responder_unavailable`.
    static func isResponderUnavailable(_ response: TestHTTPResponse) -> Bool {
        guard response.status == 503, response.headers["content-type"]?.hasPrefix("application/json") == true,
            let object = try? response.jsonObject()
        else { return false }
        return object["success"] as? Bool == false && object["error"] as? String == "responder_unavailable"
            && (object["requestId"] as? String)?.isEmpty == false
    }
}
