import ArgumentParser
import EvolutionSimulator
import FastCGI
import HTTPServer
import Logging
import Runtime
import StructuredLogging

/// `evolution-sim serve [--socket PATH] [--threads N] [--max-requests N]`: the simulator as a FastCGI responder.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer FastCGI requests from nginx as the Evolution API would, until SIGTERM or SIGINT.",
        discussion: """
            Without --socket it accepts on file descriptor 0 (spawn-fcgi). All threads share one in-memory state.

            Environment: SIM_API_KEY (required: the global key, never logged), SIM_QR_PENDING_ANSWERS (0), SIM_QR_DELAY_MS (0), \
            SIM_QR_ROTATE_SECONDS (45), SIM_QR_LIMIT (30), SIM_AUTO_SCAN_SECONDS (off), SIM_DELETE_CLEANUP_MS (0), \
            SIM_CONNECT_WAIT_MS (0), SIM_WEBHOOK_ATTEMPTS (3), SIM_WEBHOOK_TIMEOUT_MS (5000), SIM_WEBHOOK_RETRY_MS \
            (200), SIM_WEBHOOK_DELIVERY (normal | drop | fail), SIM_WEBHOOK_DELAY_MS (0), \
            SIM_EXPOSE_TOKEN_IN_WEBHOOKS (false), SIM_SERVER_URL, LOG_LEVEL, LOG_FILE.

            Webhooks go out as Evolution 2.3 sends them: a configured jwt_key header is replaced by \
            Authorization: Bearer <HS256 JWT {iat, exp: iat+600, app: evolution, action: webhook}> signed with it.

            Control API (not Evolution's): POST /_sim/instances/{name}/scan | drop | rotate-qr; POST, GET, DELETE \
            /_sim/faults; GET, DELETE /_sim/calls; GET, PUT /_sim/settings; POST /_sim/reset; POST /_sim/webhooks[/…] \
            (a webhook target), GET, DELETE /_sim/webhooks (what it received, headers included).

            Outgoing webhooks: GET /_sim/deliveries lists each one (event, instance, url, header names, \
            authorization sent or not, outcome pending | retrying | delivered | refused | failed | dropped, attempts, \
            status), never a header value; DELETE /_sim/deliveries empties the list. PUT /_sim/settings \
            {"webhookDeliveryMode":"normal"|"drop"|"fail","webhookDelayMs":N} breaks or slows delivery: drop records \
            without sending, fail sends once and counts it failed without retry, webhookDelayMs holds each delivery \
            that long before its first attempt.
            """
    )

    @Option(name: .long, help: "Open this unix socket (mode 0660) instead of using file descriptor 0.")
    var socket: String?

    @Option(name: .long, help: "Worker threads kept ready; more start as requests arrive, up to --max-requests.")
    var threads: Int = 8

    @Option(name: .long, help: "Requests answered at once; an injected delay holds one for its whole length.")
    var maxRequests: Int = 1024

    func validate() throws {
        guard (1...1024).contains(threads) else { throw ValidationError("--threads must be between 1 and 1024") }
        guard (1...4096).contains(maxRequests) else {
            throw ValidationError("--max-requests must be between 1 and 4096")
        }
    }

    func run() throws {
        let environment = ProcessEnvironment.current()
        let settings: SimulatorSettings
        do throws(ConfigurationError) {
            settings = try SimulatorSettings.load(from: environment)
            try JSONLogHandler.bootstrap(environment: environment)
        } catch {
            writeToStandardError("evolution-sim serve: \(error.description)")
            throw ExitCode.failure
        }
        let logger = Logger(label: "evolution-sim")
        let simulator = EvolutionSimulator(settings: settings, logger: logger)
        guard simulator.startBackgroundWork() else {
            writeToStandardError("evolution-sim serve: cannot start the background threads")
            throw ExitCode.failure
        }
        defer { simulator.stopBackgroundWork() }
        do throws(FastCGIError) {
            let listener = try FastCGIListener.make(socketPath: socket)
            let server = FastCGIServer(
                listener: listener, minimumWorkers: threads, maximumInFlight: max(threads, maxRequests), logger: logger)
            try server.run { SimulatorRequestHandler(simulator: simulator, logger: logger) }
        } catch {
            logger.critical("cannot serve", metadata: ["error": .string(error.description), "code": "\(error.code)"])
            writeToStandardError("evolution-sim serve: \(error.description)")
            throw ExitCode.failure
        }
    }
}
