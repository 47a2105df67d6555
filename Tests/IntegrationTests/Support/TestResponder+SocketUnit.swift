import Foundation

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
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw TestFailure("cannot create \(errorFile.path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.responderBinary)
        process.arguments = ["serve"] + arguments
        process.environment = responderEnvironment(environment, logFile: logFile)
        // The child gets the listening socket as file descriptor 0; the test keeps its own descriptor open.
        process.standardInput = FileHandle(fileDescriptor: unit.descriptor, closeOnDealloc: false)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let responder = TestResponder(socketPath: unit.path, logFile: logFile, process: process)
        try Wait.until("the responder \(name) serves") {
            guard process.isRunning else {
                throw TestFailure("\(name) exited \(process.terminationStatus): \(responder.standardError())")
            }
            return try responder.logLines().contains { $0["message"] as? String == "serving" }
        }
        return responder
    }
}
