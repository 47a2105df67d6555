import Foundation
import TestProcesses

extension TestResponder {
    /// Starts `tenant-whatsapp serve` + `arguments` with the socket of `unit` as its standard input, as systemd
    /// starts a service with `StandardInput=socket` (no spawn-fcgi), logging to `LOG_FILE` `name`.log in `directory`.
    /// The environment gets the same defaults as ``start(in:environment:threads:maxRequests:name:)``. Returns once
    /// the responder logs that it is serving.
    static func start(
        on unit: TestSocketUnit, in directory: URL, environment: [String: String], arguments: [String],
        name: String
    ) throws -> TestResponder {
        let logFile = directory.appendingPathComponent("\(name).log")
        let errorFile = directory.appendingPathComponent("\(name).err")
        // The child gets the listening socket as file descriptor 0; the test keeps its own descriptor open.
        let process = try ChildProcess(
            arguments: [TestEnvironment.responderBinary, "serve"] + arguments,
            environment: responderEnvironment(environment, logFile: logFile),
            standardInput: .descriptor(unit.descriptor), standardError: .file(errorFile.path))
        let responder = TestResponder(socketPath: unit.path, logFile: logFile, process: process)
        try Wait.until("the responder \(name) serves") {
            guard process.isRunning else {
                throw TestFailure("\(name) exited \(process.waitForExit()): \(responder.standardError())")
            }
            return try responder.logLines().contains { $0["message"] as? String == "serving" }
        }
        return responder
    }
}
