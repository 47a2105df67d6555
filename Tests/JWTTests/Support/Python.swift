import Foundation

/// Runs `python3` (from PATH) for what the tests need from an independent implementation: PyJWT to mint tokens,
/// `cryptography` to make keys or turn a JWK into PEM.
enum Python {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `script` with `arguments` and `input` on stdin; returns stdout, or throws with stderr.
    static func run(_ script: String, arguments: [String] = [], input: String = "") throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        let error = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = stdin
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        // stdout first, then stderr: the scripts write little to stderr (a traceback at most), far below what
        // would fill its pipe and block the child.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description:
                    "python3 exited \(process.terminationStatus): \(String(decoding: errorData, as: UTF8.self))"
                    + " (PyJWT and cryptography are needed: scripts/test puts a virtual environment with"
                    + " scripts/requirements-test.txt first on PATH)")
        }
        return String(decoding: outputData, as: UTF8.self)
    }

    /// Runs `script` and parses its stdout as a JSON object.
    static func json(_ script: String, arguments: [String] = [], input: String = "") throws -> [String: Any] {
        let text = try run(script, arguments: arguments, input: input)
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Failure(description: "python3 did not print a JSON object: \(text.prefix(200))")
        }
        return object
    }
}
