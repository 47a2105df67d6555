import Foundation
import TestProcesses

/// A real nginx in front of a responder socket, configured by the project's own `scripts/render-nginx` from the
/// production includes, listening on a free loopback port.
final class TestNginx: @unchecked Sendable {
    let port: Int
    let directory: URL
    /// The rendered nginx.conf.
    let configuration: String
    private let process: ChildProcess

    private init(port: Int, directory: URL, configuration: String, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.configuration = configuration
        self.process = process
    }

    /// Renders the configuration into `directory` for `socketPath` and starts nginx in the foreground.
    static func start(
        in directory: URL, socketPath: String, environment: [String: String] = [:]
    ) throws
        -> TestNginx
    {
        try start(in: directory, socketPaths: [socketPath], environment: environment)
    }

    /// Renders the configuration into `directory` with one upstream `server` line per socket of `socketPaths`
    /// (several responder processes behind one nginx, round robin) and starts nginx in the foreground.
    ///
    /// `renderer` is the project's script that writes the configuration (`scripts/render-sim-nginx` for the
    /// simulator's own nginx).
    static func start(
        in directory: URL, socketPaths: [String], environment: [String: String] = [:],
        renderer rendererPath: String = "scripts/render-nginx", port chosenPort: Int? = nil
    ) throws
        -> TestNginx
    {
        let port = try chosenPort ?? TestEnvironment.freeLoopbackPort()
        let renderer = TestEnvironment.packageRoot.appendingPathComponent(rendererPath).path
        var renderEnvironment = ProcessInfo.processInfo.environment
        renderEnvironment.merge(environment) { $1 }
        let rendered = try Subprocess.check(
            [renderer, directory.path, "127.0.0.1:\(port)", socketPaths.joined(separator: ",")],
            environment: renderEnvironment)
        let configuration =
            rendered.output.split(separator: "\n").last.map(String.init)
            ?? directory.appendingPathComponent("nginx.conf").path
        let process = try ChildProcess(arguments: [
            "/usr/sbin/nginx", "-p", directory.path, "-c", configuration, "-e",
            directory.appendingPathComponent("error.log").path, "-g", "daemon off;",
        ])
        let nginx = TestNginx(port: port, directory: directory, configuration: configuration, process: process)
        try Wait.until("nginx listens on 127.0.0.1:\(port)") {
            guard process.isRunning else {
                throw TestFailure("nginx exited \(process.waitForExit()): \(nginx.errorLog())")
            }
            return TestNginx.accepts(port: port)
        }
        return nginx
    }

    /// Sends a request through nginx, from `sourceAddress` when given (see ``TestHTTPClient/send``).
    func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil,
        from sourceAddress: String? = nil
    ) throws -> TestHTTPResponse {
        try TestHTTPClient.send(
            port: port, method: method, path: path, headers: headers, body: body, from: sourceAddress)
    }

    /// Has nginx reread its configuration (`nginx -s reload`): a test that edited a rendered include then waits for the
    /// new behaviour, since the old workers finish their requests first.
    func reload() throws {
        try Subprocess.check([
            "/usr/sbin/nginx", "-p", directory.path, "-c", configuration, "-e",
            directory.appendingPathComponent("error.log").path, "-s", "reload",
        ])
    }

    /// The master process's id.
    var masterPID: Int32 { process.pid }

    /// The worker process (the configuration starts one), found among the master's children.
    func workerPID() throws -> Int32 {
        guard let worker = ProcessMemory.children(of: masterPID).first else {
            throw TestFailure("nginx (pid \(masterPID)) has no worker process")
        }
        return worker
    }

    /// Stops nginx gracefully (SIGQUIT) and waits for it.
    func stop() {
        process.terminate(with: SIGQUIT)
    }

    /// nginx's error log so far.
    func errorLog() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
