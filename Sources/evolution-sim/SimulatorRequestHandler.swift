import EvolutionSimulator
import FastCGI
import HTTPServer
import Logging

/// Answers FastCGI requests with the simulator on one worker thread, and logs one line per request.
///
/// Unlike ``FastCGIHTTPBridge`` it can write broken answers (a streamed body, a body cut short, bytes that are no
/// CGI response) and wait before answering, which the simulator's faults need. The log line names the method,
/// path, route, instance, status and duration; never a header, so never a key.
final class SimulatorRequestHandler: FastCGIRequestHandler {
    private let simulator: EvolutionSimulator
    private let logger: Logger

    /// The largest request body read: Evolution's bodies are small JSON documents.
    static let bodyLimit = 1024 * 1024

    init(simulator: EvolutionSimulator, logger: Logger) {
        self.simulator = simulator
        self.logger = logger
    }

    func handle(_ fastCGIRequest: borrowing FastCGIRequest) {
        let started = ContinuousClock.now
        let reading = HTTPRequest.read(from: fastCGIRequest, bodyLimit: Self.bodyLimit)
        let request = reading.request
        let answer =
            if let failure = reading.failure {
                simulator.answer(to: failure, request: request)
            } else {
                simulator.answer(to: request)
            }
        var delivered = true
        answer.deliver { bytes in
            delivered = fastCGIRequest.write(bytes)
            return delivered
        }
        var metadata: Logger.Metadata = [
            "requestId": .string(request.requestID), "method": .string(request.method.rawValue),
            "path": .string(request.path), "route": .string(answer.route),
            "durationMs": .stringConvertible(RequestContext.milliseconds(.now - started)),
        ]
        if let instance = answer.instance { metadata["instance"] = .string(instance) }
        if let status = answer.status { metadata["status"] = .stringConvertible(status) }
        if !delivered { metadata["clientGone"] = .stringConvertible(true) }
        logger.info("request", metadata: metadata)
    }
}
