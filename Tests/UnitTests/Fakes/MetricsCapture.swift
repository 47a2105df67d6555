import CoreMetrics
import Prometheus

/// A fresh Prometheus registry that records what the code under test makes through swift-metrics, for the duration
/// of one closure (a task-local factory: the process-wide `MetricsSystem` stays un-bootstrapped, so other tests keep
/// their no-ops and nothing is shared between tests).
struct MetricsCapture {
    let registry = PrometheusCollectorRegistry()

    /// Runs `body` with every metric made inside it recorded in ``registry``.
    func recording<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try withMetricsFactory(PrometheusMetricsFactory(registry: registry), body)
    }

    /// Every sample of the registry's exposition, by series (`name{label="value",…}`).
    var samples: [String: Double] { Self.samples(in: registry.emitToString()) }

    /// The samples of a Prometheus text exposition: each line that is not a comment, split at its last space.
    static func samples(in text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
