import ArgumentParser
import CoreMetrics
import FastCGI
import HTTPServer
import Logging
import Prometheus
import Runtime
import StructuredLogging
import TenantWhatsApp

/// `tenant-whatsapp serve [--socket PATH] [--threads N] [--max-requests N] [--on-stop drain|handover]`: the FastCGI
/// responder.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer FastCGI requests from nginx until SIGTERM or SIGINT.",
        discussion: """
            Without --socket it accepts on file descriptor 0, the socket spawn-fcgi or a systemd socket unit \
            hands over. Configuration comes from environment variables (see README).
            """
    )

    @Option(name: .long, help: "Open this unix socket (mode 0660) instead of using file descriptor 0.")
    var socket: String?

    @Option(
        name: .long,
        help: """
            Worker threads kept ready (default: twice the processors, at least 4); more start when all are busy \
            waiting (on Evolution, the database), up to --max-requests.
            """)
    var threads: Int?

    /// Twice the processors, at least 4: enough to keep every core busy with requests that only compute, while
    /// threads waiting on an upstream are added as they get stuck.
    static var defaultThreads: Int { max(4, 2 * Threads.processorCount) }

    @Option(name: .long, help: "Requests answered at once (each holds one thread); further connections wait queued.")
    var maxRequests: Int = 256

    @Option(
        name: .long,
        help: """
            On SIGTERM: 'drain' refuses new connections, answers the queued ones and exits (a socket of its own: \
            --socket or spawn-fcgi's); 'handover' stops accepting and leaves the queue to the next process (a \
            systemd socket unit). Default: drain.
            """)
    var onStop: StopBehaviour?

    func validate() throws {
        guard (1...1024).contains(threads ?? 1) else { throw ValidationError("--threads must be between 1 and 1024") }
        guard (1...4096).contains(maxRequests) else {
            throw ValidationError("--max-requests must be between 1 and 4096")
        }
    }

    func run() throws {
        let configuration = try Configuration.loadForCommand("serve")
        do {
            try configuration.validateAdmission(maxRequests: maxRequests)
        } catch {
            writeToStandardError("tenant-whatsapp serve: \(error.description)")
            throw ExitCode.failure
        }
        let logger = Logger(label: "tenant-whatsapp")
        // Once per process, before anything makes a metric: until then swift-metrics hands out no-ops.
        let metricsRegistry = PrometheusCollectorRegistry()
        var metricsFactory = PrometheusMetricsFactory(registry: metricsRegistry)
        metricsFactory.defaultDurationHistogramBuckets = Application.metricsDurationBuckets
        MetricsSystem.bootstrap(metricsFactory)
        // One application for the process: its pool, servers and limits are shared by every worker thread.
        let application: Application
        do {
            application = try Application(
                configuration: configuration, maxRequests: maxRequests, logger: logger,
                metricsRegistry: metricsRegistry)
        } catch {
            logger.critical("cannot serve", metadata: ["error": .string(error.description)])
            writeToStandardError("tenant-whatsapp serve: \(error.description)")
            throw ExitCode.failure
        }
        do throws(FastCGIError) {
            let listener = try FastCGIListener.make(socketPath: socket)
            if socket == nil, onStop == nil, ProcessEnvironment.current()["INVOCATION_ID"] != nil {
                // systemd sets INVOCATION_ID for its services. A socket unit's socket outlives this process, and
                // draining shuts it down for the next one too: such a unit must say --on-stop handover.
                logger.warning(
                    "started by systemd on an inherited socket without --on-stop: draining on SIGTERM; if the socket comes from a systemd socket unit, use --on-stop handover, or the next process inherits a socket that refuses connections"
                )
            }
            let server = FastCGIServer(
                listener: listener, minimumWorkers: threads ?? Self.defaultThreads,
                maximumInFlight: max(threads ?? Self.defaultThreads, maxRequests),
                stopBehaviour: onStop ?? .drain, logger: logger)
            try server.run {
                // Each worker's own request log: the JSON one keeps its line buffer.
                FastCGIHTTPBridge(
                    responder: application,
                    requestLog: JSONRequestLog(logger: logger) ?? LoggerRequestLog(logger: logger),
                    metricsPrefix: Application.metricsPrefix)
            }
        } catch {
            logger.critical("cannot serve", metadata: ["error": .string(error.description), "code": "\(error.code)"])
            writeToStandardError("tenant-whatsapp serve: \(error.description)")
            throw ExitCode.failure
        }
    }
}

extension StopBehaviour: ExpressibleByArgument {}
