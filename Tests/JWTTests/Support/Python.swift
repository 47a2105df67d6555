import Foundation
import TestProcesses

/// Runs `python3` (from PATH) for what the tests need from an independent implementation: PyJWT to mint tokens,
/// `cryptography` to make keys or turn a JWK into PEM.
enum Python {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `script` with `arguments` and `input` on stdin; returns stdout, or throws with stderr.
    static func run(_ script: String, arguments: [String] = [], input: String = "") throws -> String {
        let result = try ChildProcess.run(["/usr/bin/env", "python3", "-c", script] + arguments, input: input)
        guard result.status == 0 else {
            throw Failure(
                description: "python3 exited \(result.status): \(result.error)"
                    + " (PyJWT and cryptography are needed: scripts/test puts a virtual environment with"
                    + " scripts/requirements-test.txt first on PATH)")
        }
        return result.output
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
