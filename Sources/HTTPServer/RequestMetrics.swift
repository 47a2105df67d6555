import CoreMetrics

/// The request metrics of one worker thread's bridge: requests by route and status, their duration by route, and
/// the requests in flight in the process.
///
/// The labels are the route pattern (`/api/tenants/{tenantId}/whatsapp/status`: never the raw path, and
/// ``unmatchedRoute`` when no route matched) and the status code, so the set of series stays small whatever the
/// traffic. Each metric object is made once per label set and kept: making one asks the metrics factory (a lock and
/// a lookup), and a bridge serves one thread, so the cache needs no lock. Without `MetricsSystem.bootstrap` (unit
/// tests, `evolution-sim`) every metric is swift-metrics' no-op.
final class RequestMetrics {
    /// The route label of a request that matched no route (a 404, or a body refused before routing).
    static let unmatchedRoute = "unmatched"

    /// Counter of requests answered, labelled `route` and `status`.
    let requestsName: String
    /// Timer (a histogram in seconds) of the time from reading a request to having written its answer, labelled
    /// `route`.
    let durationName: String

    private let inFlight: Meter
    /// The metric objects of each route seen, found by one lookup per request.
    private var routes: [String: RouteMetrics] = [:]

    /// One route's timer and its counters by status (a route answers a handful of statuses: a short list).
    private final class RouteMetrics {
        let timer: Timer
        var counters: [(status: Int, counter: Counter)] = []

        init(timer: Timer) {
            self.timer = timer
        }
    }

    /// Metrics named `<prefix>http_requests_total`, `<prefix>http_request_duration_seconds` and
    /// `<prefix>http_requests_in_flight`.
    init(prefix: String) {
        requestsName = prefix + "http_requests_total"
        durationName = prefix + "http_request_duration_seconds"
        inFlight = Meter(label: prefix + "http_requests_in_flight")
    }

    /// A request is being answered: one more in flight until ``finished(route:status:duration:)``.
    func started() {
        inFlight.increment()
    }

    /// The request was answered with `status` after `duration`; `route` is its pattern, nil when none matched.
    func finished(route: String?, status: Int, duration: Duration) {
        let route = route ?? Self.unmatchedRoute
        let metrics = metrics(route: route)
        counter(of: metrics, route: route, status: status).increment()
        metrics.timer.recordNanoseconds(Self.nanoseconds(duration))
        inFlight.decrement()
    }

    private func metrics(route: String) -> RouteMetrics {
        if let metrics = routes[route] { return metrics }
        let metrics = RouteMetrics(timer: Timer(label: durationName, dimensions: [("route", route)]))
        routes[route] = metrics
        return metrics
    }

    private func counter(of metrics: RouteMetrics, route: String, status: Int) -> Counter {
        for entry in metrics.counters where entry.status == status { return entry.counter }
        let counter = Counter(label: requestsName, dimensions: [("route", route), ("status", String(status))])
        metrics.counters.append((status, counter))
        return counter
    }

    /// Whole nanoseconds, as swift-metrics' timers take them (a request never lasts the 292 years that overflow).
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
